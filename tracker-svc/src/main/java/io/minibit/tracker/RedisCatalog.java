package io.minibit.tracker;

import static io.minibit.tracker.RedisStore.bytes;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.minibit.api.v2.Manifest;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.Logger;

/**
 * The catalog in Redis, shared by every tracker on it. Manifests are read when asked for, not
 * held: a tracker keeps only the most recently used ones (up to {@value #CACHE_BYTES} bytes of
 * them), so the catalog may be larger than any tracker's heap.
 *
 * <p>Keys, each under {@link RedisStore#PREFIX}: {@code manifest:<infohash>} holds a Manifest
 * message's bytes; {@code catalog}, a sorted set of {@code <name> NUL <infohash>} at one score,
 * gives the catalog's order (by name's UTF-8 bytes, then infohash) and its pages; and {@code
 * name:<name>} holds the infohash the name resolves to, {@code owner:<name>} the publisher who
 * owns the name, {@code publisher:<id>} how many manifests (and bytes) the publisher holds;
 * {@code catalog-bytes} counts the bytes of every manifest, for {@link
 * TrackerLimits#maxCatalogBytes()}. Without persistence (AOF) a Redis that restarts comes back
 * with an empty catalog. Thread-safe.
 */
public final class RedisCatalog implements CatalogStore {
  private static final Logger log = Logger.getLogger(RedisCatalog.class.getName());
  static final long CACHE_BYTES = 64L * 1024 * 1024;
  static final String MANIFEST = RedisStore.PREFIX + "manifest:";
  private static final String NAME = RedisStore.PREFIX + "name:";
  private static final String OWNER = RedisStore.PREFIX + "owner:";
  private static final String PUBLISHER = RedisStore.PREFIX + "publisher:";
  private static final byte[] CATALOG = bytes(RedisStore.PREFIX + "catalog");
  private static final byte[] CATALOG_BYTES = bytes(RedisStore.PREFIX + "catalog-bytes");

  /**
   * KEYS: manifest, catalog, name, catalog bytes, the name's owner, what the publisher holds.
   * ARGV: manifest bytes, catalog member, infohash, most catalog bytes, publisher, most
   * manifests and most bytes of one publisher. Stores the manifest if new, for its
   * name's owner (the publisher becomes it if the name has none), and makes it the name's latest
   * when the owner publishes it; returns {1, held} if it was new, {0, held} if not, {-1, held}
   * if it does not fit, {-2, owner} if the name belongs to another publisher, {-3, manifests,
   * bytes} if the publisher holds too much already.
   */
  private static final LuaScript PUBLISH = LuaScript.of("""
      local held = tonumber(redis.call('GET', KEYS[4]) or '0')
      local exists = redis.call('EXISTS', KEYS[1]) == 1
      local owner = redis.call('GET', KEYS[5])
      if owner and owner ~= ARGV[5] then
        if exists then return {0, held} end
        return {-2, owner}
      end
      if not exists and held + #ARGV[1] > tonumber(ARGV[4]) then return {-1, held} end
      if not exists then
        local mine = redis.call('HMGET', KEYS[6], 'manifests', 'bytes')
        local manifests = tonumber(mine[1] or '0')
        local bytes = tonumber(mine[2] or '0')
        if manifests + 1 > tonumber(ARGV[6]) or bytes + #ARGV[1] > tonumber(ARGV[7]) then
          return {-3, manifests, bytes}
        end
      end
      if not owner then redis.call('SET', KEYS[5], ARGV[5]) end
      local created = 0
      if not exists then
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('ZADD', KEYS[2], 0, ARGV[2])
        held = redis.call('INCRBY', KEYS[4], #ARGV[1])
        redis.call('HINCRBY', KEYS[6], 'manifests', 1)
        redis.call('HINCRBY', KEYS[6], 'bytes', #ARGV[1])
        created = 1
      end
      redis.call('SET', KEYS[3], ARGV[3])
      return {created, held}
      """);

  private final RedisStore redis;
  /** Manifests by infohash: a manifest never changes, so what is cached is never stale. */
  private final Cache<InfoHash, Torrent> cache = CacheBuilder.newBuilder()
      .maximumWeight(CACHE_BYTES)
      .weigher((InfoHash infoHash, Torrent torrent) ->
          torrent.manifest().getSerializedSize())
      .build();
  /**
   * Manifest reads under way, so that the announces of a torrent not cached yet (many at once
   * after a restart) read and parse its manifest once.
   */
  private final ConcurrentMap<InfoHash, CompletableFuture<Optional<Torrent>>> reading =
      new ConcurrentHashMap<>();
  private final long maxBytes;
  private final TrackerLimits limits;

  public RedisCatalog(RedisStore redis) {
    this(redis, TrackerLimits.DEFAULTS);
  }

  /** A catalog that refuses to hold more than {@code maxBytes} of manifests. */
  public RedisCatalog(RedisStore redis, long maxBytes) {
    this(redis, TrackerLimits.ofCatalog(maxBytes));
  }

  /** A catalog within every limit of {@code limits} on the catalog and its publishers. */
  public RedisCatalog(RedisStore redis, TrackerLimits limits) {
    this.redis = redis;
    this.limits = limits;
    this.maxBytes = limits.maxCatalogBytes();
  }

  @Override
  public Published publish(Torrent torrent, Publisher publisher) {
    byte[] stored = torrent.manifest().toByteArray();
    List<?> reply = (List<?>) redis.run("publish " + torrent.name(), PUBLISH,
        List.of(bytes(MANIFEST + torrent.infoHash().hex()), CATALOG,
            bytes(NAME + torrent.name()), CATALOG_BYTES, bytes(OWNER + torrent.name()),
            bytes(PUBLISHER + publisher.id())),
        List.of(stored, member(torrent), bytes(torrent.infoHash().hex()),
            RedisStore.bytes(maxBytes), bytes(publisher.id()),
            RedisStore.bytes(limits.maxManifestsPerPublisher()),
            RedisStore.bytes(limits.maxBytesPerPublisher())));
    long created = (Long) reply.get(0);
    if (created == -1) {
      throw Catalog.catalogFull(torrent, stored.length, (Long) reply.get(1), maxBytes);
    }
    if (created == -3) {
      throw TrackerLimits.publisherFull(publisher, (Long) reply.get(1), (Long) reply.get(2),
          stored.length, limits);
    }
    if (created == -2) {
      throw Catalog.ownedByAnother(torrent, new Publisher(
          new String((byte[]) reply.get(1), StandardCharsets.UTF_8)), publisher);
    }
    cache.put(torrent.infoHash(), torrent);
    if (created == 1) {
      log.info(() -> "published " + torrent);
    }
    return new Published(torrent, created == 1);
  }

  @Override
  public Optional<Torrent> get(InfoHash infoHash) {
    Torrent cached = cache.getIfPresent(infoHash);
    if (cached != null) {
      return Optional.of(cached);
    }
    byte[] stored = redis.call("read manifest " + infoHash,
        jedis -> jedis.get(bytes(MANIFEST + infoHash.hex())));
    return Optional.ofNullable(stored).map(bytes -> remember(infoHash, bytes));
  }

  /** A manifest read in a pipeline with the scripts around it. KEYS: manifest. */
  private static final LuaScript READ = LuaScript.of("return redis.call('GET', KEYS[1])");

  @Override
  public CompletableFuture<Optional<Torrent>> getAsync(InfoHash infoHash) {
    Torrent cached = cache.getIfPresent(infoHash);
    if (cached != null) {
      return CompletableFuture.completedFuture(Optional.of(cached));
    }
    CompletableFuture<Optional<Torrent>> read = reading.computeIfAbsent(infoHash, key ->
        redis.runAsync("read manifest " + key, READ, List.of(bytes(MANIFEST + key.hex())),
                List.of())
            .thenApply(stored -> Optional.ofNullable((byte[]) stored)
                .map(manifest -> remember(key, manifest))));
    read.whenComplete((found, e) -> reading.remove(infoHash, read));
    return read;
  }

  @Override
  public Optional<Torrent> byName(String name) {
    byte[] infoHash = redis.call("look up name " + name, jedis -> jedis.get(bytes(NAME + name)));
    if (infoHash == null) {
      return Optional.empty();
    }
    return get(InfoHash.parse(new String(infoHash, StandardCharsets.US_ASCII)));
  }

  @Override
  public List<Torrent> page(Optional<CatalogPosition> after, int limit) {
    byte[] from = after.map(position -> concat(bytes("("), member(position.name(),
        position.infoHash()))).orElse(bytes("-"));
    List<byte[]> members = redis.call("list the catalog",
        jedis -> jedis.zrangeByLex(CATALOG, from, bytes("+"), 0, limit));
    Map<InfoHash, Torrent> page = new LinkedHashMap<>();
    List<InfoHash> missing = new ArrayList<>();
    for (byte[] member : members) {
      InfoHash infoHash = InfoHash.parse(new String(member, member.length - 2 * InfoHash.LENGTH,
          2 * InfoHash.LENGTH, StandardCharsets.US_ASCII));
      Torrent cached = cache.getIfPresent(infoHash);
      page.put(infoHash, cached);
      if (cached == null) {
        missing.add(infoHash);
      }
    }
    if (!missing.isEmpty()) {
      List<byte[]> stored = redis.call("read manifests", jedis -> jedis.mget(missing.stream()
          .map(infoHash -> bytes(MANIFEST + infoHash.hex())).toArray(byte[][]::new)));
      for (int i = 0; i < missing.size(); i++) {
        if (stored.get(i) == null) {
          page.remove(missing.get(i)); // in the order, but its manifest is gone: left out
        } else {
          page.put(missing.get(i), remember(missing.get(i), stored.get(i)));
        }
      }
    }
    return List.copyOf(page.values());
  }

  @Override
  public Optional<Publisher> owner(String name) {
    byte[] owner = redis.call("look up the owner of " + name,
        jedis -> jedis.get(bytes(OWNER + name)));
    return Optional.ofNullable(owner)
        .map(id -> new Publisher(new String(id, StandardCharsets.UTF_8)));
  }

  @Override
  public boolean isLatest(Torrent torrent) {
    return latestOf(List.of(torrent)).contains(torrent.infoHash());
  }

  @Override
  public Set<InfoHash> latestOf(List<Torrent> torrents) {
    if (torrents.isEmpty()) {
      return Set.of();
    }
    List<byte[]> latest = redis.call("look up names", jedis -> jedis.mget(torrents.stream()
        .map(torrent -> bytes(NAME + torrent.name())).toArray(byte[][]::new)));
    Set<InfoHash> found = new HashSet<>();
    for (int i = 0; i < torrents.size(); i++) {
      byte[] hex = bytes(torrents.get(i).infoHash().hex());
      if (latest.get(i) != null && java.util.Arrays.equals(latest.get(i), hex)) {
        found.add(torrents.get(i).infoHash());
      }
    }
    return found;
  }

  @Override
  public int size() {
    return (int) (long) redis.call("count the catalog", jedis -> jedis.zcard(CATALOG));
  }

  /** The torrent {@code stored} holds, checked against the infohash it is stored under. */
  private Torrent remember(InfoHash infoHash, byte[] stored) {
    Torrent torrent;
    try {
      torrent = Torrent.of(Manifest.parseFrom(stored));
    } catch (com.google.protobuf.InvalidProtocolBufferException | MinibitException e) {
      throw new MinibitException(ErrorCode.INTERNAL, String.format(
          "the store's manifest %s is not a valid manifest (%s)", infoHash, e.getMessage()), e);
    }
    if (!torrent.infoHash().equals(infoHash)) {
      throw new MinibitException(ErrorCode.INTERNAL, String.format(
          "the store's manifest %s hashes to %s", infoHash, torrent.infoHash()));
    }
    cache.put(infoHash, torrent);
    return torrent;
  }

  private static byte[] member(Torrent torrent) {
    return member(torrent.name(), torrent.infoHash());
  }

  /** A name holds no control characters, so NUL sorts a name before its longer ones. */
  private static byte[] member(String name, InfoHash infoHash) {
    return bytes(name + "\0" + infoHash.hex());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] joined = new byte[a.length + b.length];
    System.arraycopy(a, 0, joined, 0, a.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }
}

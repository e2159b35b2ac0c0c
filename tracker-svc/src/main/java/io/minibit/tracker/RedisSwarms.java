package io.minibit.tracker;

import static io.minibit.tracker.RedisStore.bytes;

import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.Hashing;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.tracker.RedisStore.Script;
import io.minibit.tracker.SwarmRegistry.Announce;
import io.minibit.tracker.SwarmRegistry.AnnounceResult;
import io.minibit.tracker.SwarmRegistry.Event;
import io.minibit.tracker.SwarmRegistry.Peer;
import io.minibit.tracker.SwarmRegistry.SwarmCounts;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;

/**
 * Swarms and sessions in Redis, shared by every tracker on it: a peer that announced to one
 * tracker is handed out by the others, and a heartbeat may go to any of them.
 *
 * <p>Keys, each under {@link RedisStore#PREFIX}:
 * <ul>
 *   <li>{@code session:<peer>}: the SHA-256 of the peer's session token (Redis never holds a
 *       token a reader could present), expiring {@value SwarmRegistry#MISSED_HEARTBEATS}
 *       heartbeat intervals after the peer's last announce or heartbeat;
 *   <li>{@code peer-swarms:<peer>}: the infohashes of the swarms the peer is in, with the same
 *       expiry;
 *   <li>{@code swarm:<infohash>:seen}: the swarm's members, scored by when each was last heard
 *       from; {@code swarm:<infohash>:seeders}: those that are complete;
 *   <li>{@code swarm:<infohash>:peers}: a hash of what each member last announced there;
 *   <li>{@code swarms}: the infohashes of swarms that may have members, for metrics;
 *   <li>{@code address-sessions:<address>}: the peers that announced from an address, scored by
 *       when, for {@link TrackerLimits#maxSessionsPerAddress()}.
 * </ul>
 * A member not heard from for {@value SwarmRegistry#MISSED_HEARTBEATS} heartbeat intervals is
 * dropped from its swarm's keys by the next call that reads them (at most {@value #PRUNE_BATCH}
 * per call), and a swarm nobody heard from for as long expires whole, so nothing needs a
 * sweeper. Time is Redis's own
 * clock ({@code TIME}), the one clock every tracker on it shares.
 *
 * <p>What an announce costs does not grow with its swarm: joining and leaving are O(log n) and
 * the sample, with what each member announced, is drawn with one HRANDFIELD, O(wanted).
 * Thread-safe.
 */
public final class RedisSwarms implements SwarmStore {
  static final int PRUNE_BATCH = 512;
  private static final String SESSION = RedisStore.PREFIX + "session:";
  private static final String PEER_SWARMS = RedisStore.PREFIX + "peer-swarms:";
  private static final String SWARM = RedisStore.PREFIX + "swarm:";
  private static final String ADDRESS = RedisStore.PREFIX + "address-sessions:";
  private static final byte[] SWARMS = bytes(RedisStore.PREFIX + "swarms");
  private static final int TOKEN_BYTES = 16;
  private static final HexFormat HEX = HexFormat.of();
  private static final byte ENTRY_VERSION = 1;

  /** Lua: the time in ms, and dropping a swarm's members heard from before a cutoff. */
  private static final String COMMON = """
      local function now_ms()
        local t = redis.call('TIME')
        return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      end
      local function prune(seen, seeders, entries, cutoff)
        local gone = redis.call('ZRANGEBYSCORE', seen, '-inf', '(' .. cutoff, 'LIMIT', 0, %d)
        for _, id in ipairs(gone) do
          redis.call('ZREM', seen, id)
          redis.call('SREM', seeders, id)
          redis.call('HDEL', entries, id)
        end
        return #gone
      end
      """.formatted(PRUNE_BATCH);

  /**
   * KEYS: session, peer-swarms, seen, seeders, swarms, the source address's sessions, the
   * torrent's manifest (the catalog may have lost it since this tracker read it). ARGV: peer
   * id, SHA-256 of the presented token, SHA-256 of a new token, timeout ms, stopped (0/1),
   * complete (0/1), entry, wanted, entries hash, infohash, most members of a swarm, most
   * sessions of an address, the source address (empty if unknown), proven (0/1), swarm key
   * prefix. Returns {0} for a token that does not match, {2, members} for a full swarm, {3} for
   * an address with too many sessions, {4} for a torrent the catalog does not hold, {5} for an
   * unproven announce without a session, else {1, opened, pruned, members, seeders, drawn}:
   * drawn alternates member and entry, one more than wanted, the announcing peer among them
   * perhaps.
   */
  private static final Script ANNOUNCE = Script.of(COMMON + """
      local peer = ARGV[1]
      local timeout = tonumber(ARGV[4])
      local now = now_ms()
      if ARGV[5] ~= '1' and redis.call('EXISTS', KEYS[7]) == 0 then return {4} end
      local pruned = prune(KEYS[3], KEYS[4], ARGV[9], now - timeout)
      if ARGV[5] ~= '1' and not redis.call('ZSCORE', KEYS[3], peer) then
        local members = redis.call('ZCARD', KEYS[3])
        if members >= tonumber(ARGV[11]) then return {2, members} end
      end
      local by_source = ARGV[13] ~= ''
      local proven = ARGV[14] == '1'
      local held = redis.call('GET', KEYS[1])
      local opened = 0
      if held and held ~= ARGV[2] and held ~= ARGV[3] and proven then
        -- the peer proved its id but lost its token: its old session ends, swarms and all
        for _, infohash in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          local swarm = ARGV[15] .. infohash
          redis.call('ZREM', swarm .. ':seen', peer)
          redis.call('SREM', swarm .. ':seeders', peer)
          redis.call('HDEL', swarm .. ':peers', peer)
        end
        redis.call('DEL', KEYS[2])
        held = nil
      end
      if not held then
        if not proven then return {5} end
        if by_source then
          redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. (now - timeout))
          if redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[12]) then return {3} end
        end
        redis.call('SET', KEYS[1], ARGV[3], 'PX', timeout)
        opened = 1
      elseif held == ARGV[3] then
        -- this very announce, run again after a broken connection, opened the session
        redis.call('PEXPIRE', KEYS[1], timeout)
        opened = 1
      elseif held ~= ARGV[2] then
        return {0}
      else
        redis.call('PEXPIRE', KEYS[1], timeout)
      end
      if by_source then
        redis.call('ZADD', KEYS[6], now, peer)
        redis.call('PEXPIRE', KEYS[6], timeout)
      end
      if ARGV[5] == '1' then
        redis.call('ZREM', KEYS[3], peer)
        redis.call('SREM', KEYS[4], peer)
        redis.call('HDEL', ARGV[9], peer)
        redis.call('SREM', KEYS[2], ARGV[10])
        local members = redis.call('ZCARD', KEYS[3])
        if members == 0 then redis.call('SREM', KEYS[5], ARGV[10]) end
        return {1, opened, pruned, members, redis.call('SCARD', KEYS[4]), {}, {}}
      end
      redis.call('ZADD', KEYS[3], now, peer)
      if ARGV[6] == '1' then
        redis.call('SADD', KEYS[4], peer)
      else
        redis.call('SREM', KEYS[4], peer)
      end
      redis.call('HSET', ARGV[9], peer, ARGV[7])
      redis.call('PEXPIRE', ARGV[9], timeout)
      redis.call('PEXPIRE', KEYS[3], timeout)
      redis.call('PEXPIRE', KEYS[4], timeout)
      redis.call('SADD', KEYS[2], ARGV[10])
      redis.call('PEXPIRE', KEYS[2], timeout)
      redis.call('SADD', KEYS[5], ARGV[10])
      -- drawn as it comes: field, value, field, value... (the caller leaves itself out)
      local drawn = redis.call('HRANDFIELD', ARGV[9], tonumber(ARGV[8]) + 1, 'WITHVALUES')
      return {1, opened, pruned, redis.call('ZCARD', KEYS[3]), redis.call('SCARD', KEYS[4]),
          drawn}
      """);

  /**
   * KEYS: session, peer-swarms. ARGV: peer id, SHA-256 of the presented token, timeout ms,
   * swarm key prefix. Returns 0 for no session, -1 for a token that does not match, else 1.
   */
  private static final Script HEARTBEAT = Script.of(COMMON + """
      local peer = ARGV[1]
      local timeout = tonumber(ARGV[3])
      local held = redis.call('GET', KEYS[1])
      if not held then return 0 end
      if held ~= ARGV[2] then return -1 end
      local now = now_ms()
      redis.call('PEXPIRE', KEYS[1], timeout)
      for _, infohash in ipairs(redis.call('SMEMBERS', KEYS[2])) do
        local swarm = ARGV[4] .. infohash
        redis.call('ZADD', swarm .. ':seen', 'XX', now, peer)
        redis.call('PEXPIRE', swarm .. ':peers', timeout)
        redis.call('PEXPIRE', swarm .. ':seen', timeout)
        redis.call('PEXPIRE', swarm .. ':seeders', timeout)
      end
      redis.call('PEXPIRE', KEYS[2], timeout)
      return 1
      """);

  /**
   * KEYS: seen, seeders, swarms. ARGV: timeout ms, entries hash, infohash. Returns {pruned,
   * members, seeders}.
   */
  private static final Script COUNTS = Script.of(COMMON + """
      local pruned = prune(KEYS[1], KEYS[2], ARGV[2], now_ms() - tonumber(ARGV[1]))
      local members = redis.call('ZCARD', KEYS[1])
      if members == 0 then redis.call('SREM', KEYS[3], ARGV[3]) end
      return {pruned, members, redis.call('SCARD', KEYS[2])}
      """);

  /**
   * KEYS: seen, seeders. ARGV: timeout ms, entries hash. Returns {pruned, ids, scores,
   * entries}, the members in no meaningful order.
   */
  private static final Script MEMBERS = Script.of(COMMON + """
      local pruned = prune(KEYS[1], KEYS[2], ARGV[2], now_ms() - tonumber(ARGV[1]))
      local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
      local ids, scores, entries = {}, {}, {}
      local chunk = {}
      for i = 1, #all, 2 do
        ids[#ids + 1] = all[i]
        scores[#scores + 1] = all[i + 1]
        chunk[#chunk + 1] = all[i]
        if #chunk == 1000 or i + 1 == #all then
          for _, entry in ipairs(redis.call('HMGET', ARGV[2], unpack(chunk))) do
            entries[#entries + 1] = entry
          end
          chunk = {}
        end
      end
      return {pruned, ids, scores, entries}
      """);

  private final RedisStore redis;
  private final long timeoutMs;
  private final int defaultSampleSize;
  private final TrackerLimits limits;
  private final SecureRandom tokenSource = new SecureRandom();
  private final AtomicLong announces = new AtomicLong();
  private final AtomicLong expirations = new AtomicLong();

  /**
   * @param heartbeatInterval the interval peers are told to heartbeat at
   * @param defaultSampleSize peers returned when an announce asks for 0
   */
  public RedisSwarms(RedisStore redis, Duration heartbeatInterval, int defaultSampleSize) {
    this(redis, heartbeatInterval, defaultSampleSize, TrackerLimits.DEFAULTS);
  }

  /** As above, holding no more than {@code limits} allow. */
  public RedisSwarms(RedisStore redis, Duration heartbeatInterval, int defaultSampleSize,
      TrackerLimits limits) {
    if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
      throw new IllegalArgumentException("heartbeat interval must be positive");
    }
    if (defaultSampleSize < 1 || defaultSampleSize > SwarmRegistry.MAX_SAMPLE_SIZE) {
      throw new IllegalArgumentException(
          "default sample size must be 1.." + SwarmRegistry.MAX_SAMPLE_SIZE);
    }
    this.redis = redis;
    this.timeoutMs = heartbeatInterval.multipliedBy(SwarmRegistry.MISSED_HEARTBEATS).toMillis();
    this.defaultSampleSize = defaultSampleSize;
    this.limits = limits;
  }

  @Override
  public AnnounceResult announce(Announce announce) {
    return RedisStore.join(announceAsync(announce));
  }

  @Override
  public CompletableFuture<AnnounceResult> announceAsync(Announce announce) {
    String peerId = announce.peerId();
    String swarm = SWARM + announce.infoHash().hex();
    String newToken = newToken();
    String source = announce.source() == null ? "" : announce.source();
    boolean complete = announce.event() == Event.COMPLETED || announce.complete();
    int wanted = announce.numWant() > 0
        ? Math.min(announce.numWant(), SwarmRegistry.MAX_SAMPLE_SIZE)
        : defaultSampleSize;
    return redis.runAsync("record an announce", ANNOUNCE,
        List.of(bytes(SESSION + peerId), bytes(PEER_SWARMS + peerId), bytes(swarm + ":seen"),
            bytes(swarm + ":seeders"), SWARMS, bytes(ADDRESS + source),
            bytes(RedisCatalog.MANIFEST + announce.infoHash().hex())),
        List.of(bytes(peerId), bytes(tokenHash(announce.sessionToken())), bytes(tokenHash(newToken)),
            RedisStore.bytes(timeoutMs), flag(announce.event() == Event.STOPPED), flag(complete),
            encode(announce), RedisStore.bytes(wanted), bytes(swarm + ":peers"),
            bytes(announce.infoHash().hex()), RedisStore.bytes(limits.maxSwarmMembers()),
            RedisStore.bytes(limits.maxSessionsPerAddress()), bytes(source),
            flag(announce.proven()), bytes(SWARM)))
        .thenApply(reply -> announced(announce, (List<?>) reply, newToken, source));
  }

  private AnnounceResult announced(Announce announce, List<?> reply, String newToken,
      String source) {
    String peerId = announce.peerId();
    switch ((int) (long) (Long) reply.get(0)) {
      case 0 -> throw tokenMismatch(peerId);
      case 2 -> throw SwarmRegistry.swarmFull(announce.infoHash(), (Long) reply.get(1),
          limits.maxSwarmMembers());
      case 3 -> throw SwarmRegistry.tooManySessions(source, limits.maxSessionsPerAddress());
      // a Redis restarted without its data, say: the seeders publish it again on this answer
      case 4 -> throw MinibitException.notFound("no torrent with infohash %s in the catalog",
          announce.infoHash());
      case 5 -> throw new MinibitException(ErrorCode.UNAUTHENTICATED, String.format(
          "peer %s has no live session on this tracker (it expired, or the tracker's state was"
              + " lost): the announce that opens one must carry a proof of the peer id",
          peerId));
      default -> { }
    }
    announces.incrementAndGet();
    boolean opened = (Long) reply.get(1) == 1;
    expirations.addAndGet((Long) reply.get(2));
    SwarmCounts counts = counts((Long) reply.get(3), (Long) reply.get(4));
    List<?> drawn = (List<?>) reply.get(5);
    int wanted = announce.numWant() > 0
        ? Math.min(announce.numWant(), SwarmRegistry.MAX_SAMPLE_SIZE)
        : defaultSampleSize;
    Instant now = Instant.now();
    List<Peer> sample = new ArrayList<>(Math.min(wanted, drawn.size() / 2));
    for (int i = 0; i + 1 < drawn.size() && sample.size() < wanted; i += 2) {
      String id = string(drawn.get(i));
      if (!id.equals(announce.peerId())) {
        sample.add(decode(id, (byte[]) drawn.get(i + 1), now, announce.infoHash()));
      }
    }
    return new AnnounceResult(opened ? newToken : announce.sessionToken(), sample, counts);
  }

  @Override
  public void heartbeat(String peerId, String token) {
    RedisStore.join(heartbeatAsync(peerId, token));
  }

  @Override
  public CompletableFuture<Void> heartbeatAsync(String peerId, String token) {
    return redis.runAsync("record a heartbeat", HEARTBEAT,
        List.of(bytes(SESSION + peerId), bytes(PEER_SWARMS + peerId)),
        List.of(bytes(peerId), bytes(tokenHash(token)), RedisStore.bytes(timeoutMs),
            bytes(SWARM)))
        .thenApply(reply -> {
          long result = (Long) reply;
          if (result == 0) {
            throw MinibitException.notFound("no session for peer %s (expired, or the tracker's"
                + " state was lost): announce again", peerId);
          }
          if (result < 0) {
            throw tokenMismatch(peerId);
          }
          return null;
        });
  }

  @Override
  public SwarmCounts counts(InfoHash infoHash) {
    List<?> reply = (List<?>) redis.run("count a swarm", COUNTS, countKeys(infoHash),
        countArgs(infoHash));
    return countsOf(reply);
  }

  @Override
  public Map<InfoHash, SwarmCounts> counts(Collection<InfoHash> infoHashes) {
    return redis.call("count swarms", jedis -> {
      Map<InfoHash, Response<Object>> replies = new HashMap<>();
      try (AbstractPipeline pipeline = jedis.pipelined()) {
        for (InfoHash infoHash : infoHashes) {
          // EVAL, not EVALSHA: a pipeline cannot fall back on NOSCRIPT; the source is small
          replies.put(infoHash, pipeline.eval(COUNTS.source(), countKeys(infoHash),
              countArgs(infoHash)));
        }
        pipeline.sync();
      }
      Map<InfoHash, SwarmCounts> counts = new HashMap<>();
      replies.forEach((infoHash, reply) -> counts.put(infoHash, countsOf((List<?>) reply.get())));
      return counts;
    });
  }

  @Override
  public List<Peer> members(InfoHash infoHash) {
    String swarm = SWARM + infoHash.hex();
    List<?> reply = (List<?>) redis.run("list a swarm", MEMBERS,
        List.of(bytes(swarm + ":seen"), bytes(swarm + ":seeders")),
        List.of(RedisStore.bytes(timeoutMs), bytes(swarm + ":peers")));
    expirations.addAndGet((Long) reply.get(0));
    List<?> ids = (List<?>) reply.get(1);
    List<?> scores = (List<?>) reply.get(2);
    List<?> entries = (List<?>) reply.get(3);
    List<Peer> members = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      if (entries.get(i) != null) {
        Instant seen = Instant.ofEpochMilli((long) Double.parseDouble(string(scores.get(i))));
        members.add(decode(string(ids.get(i)), (byte[]) entries.get(i), seen, infoHash));
      }
    }
    return members;
  }

  @Override
  public Map<InfoHash, SwarmCounts> allCounts() {
    List<InfoHash> swarms = redis.call("list swarms", jedis -> jedis.smembers(SWARMS)).stream()
        .map(hex -> InfoHash.parse(new String(hex, StandardCharsets.US_ASCII)))
        .toList();
    Map<InfoHash, SwarmCounts> counts = new HashMap<>(counts(swarms));
    counts.values().removeIf(c -> c.seeders() + c.leechers() == 0);
    return counts;
  }

  @Override
  public long announceCount() {
    return announces.get();
  }

  @Override
  public long expiredCount() {
    return expirations.get();
  }

  private List<byte[]> countKeys(InfoHash infoHash) {
    String swarm = SWARM + infoHash.hex();
    return List.of(bytes(swarm + ":seen"), bytes(swarm + ":seeders"), SWARMS);
  }

  private List<byte[]> countArgs(InfoHash infoHash) {
    return List.of(RedisStore.bytes(timeoutMs), bytes(SWARM + infoHash.hex() + ":peers"),
        bytes(infoHash.hex()));
  }

  private SwarmCounts countsOf(List<?> reply) {
    expirations.addAndGet((Long) reply.get(0));
    return counts((Long) reply.get(1), (Long) reply.get(2));
  }

  private static SwarmCounts counts(long members, long seeders) {
    return new SwarmCounts((int) seeders, (int) (members - seeders));
  }

  /** What a peer announced, as its entry holds it (the time comes from the swarm's set). */
  static byte[] encode(Announce announce) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      out.writeByte(ENTRY_VERSION);
      out.writeUTF(announce.host());
      out.writeShort(announce.port());
      out.writeBoolean(announce.event() == Event.COMPLETED || announce.complete());
      out.writeInt(announce.haveCount());
      out.writeLong(announce.uploaded());
      out.writeLong(announce.downloaded());
      out.writeDouble(announce.downloadRate());
      if (announce.have() == null) {
        out.writeInt(-1);
      } else {
        out.writeInt(announce.have().size());
        out.write(announce.have().toBytes());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buffer.toByteArray();
  }

  /** The peer an entry describes; INTERNAL for bytes no tracker wrote. */
  static Peer decode(String peerId, byte[] entry, Instant seen, InfoHash infoHash) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
      if (in.readByte() != ENTRY_VERSION) {
        throw new IOException("unknown entry version");
      }
      String host = in.readUTF();
      int port = in.readUnsignedShort();
      boolean complete = in.readBoolean();
      int haveCount = in.readInt();
      long uploaded = in.readLong();
      long downloaded = in.readLong();
      double rate = in.readDouble();
      int blocks = in.readInt();
      Bitfield have = blocks < 0 ? null
          : Bitfield.fromBytes(blocks, in.readNBytes(Bitfield.byteLength(blocks)));
      return new Peer(peerId, host, port, complete, haveCount, uploaded, downloaded, seen, have,
          rate);
    } catch (IOException | RuntimeException e) {
      throw new MinibitException(ErrorCode.INTERNAL, String.format(
          "the store's entry for peer %s in swarm %s is not one a tracker wrote (%s)", peerId,
          infoHash, e.getMessage()), e);
    }
  }

  private String newToken() {
    byte[] token = new byte[TOKEN_BYTES];
    tokenSource.nextBytes(token);
    return HEX.formatHex(token);
  }

  private static String tokenHash(String token) {
    return HEX.formatHex(Hashing.sha256(token.getBytes(StandardCharsets.UTF_8)));
  }

  private static MinibitException tokenMismatch(String peerId) {
    return new MinibitException(ErrorCode.PERMISSION_DENIED, String.format(
        "session token does not match the live session of peer %s", peerId));
  }

  private static byte[] flag(boolean set) {
    return bytes(set ? "1" : "0");
  }

  private static String string(Object reply) {
    return new String((byte[]) reply, StandardCharsets.UTF_8);
  }
}

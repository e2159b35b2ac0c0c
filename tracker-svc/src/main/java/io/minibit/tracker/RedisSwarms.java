package io.minibit.tracker;

import static io.minibit.tracker.RedisStore.bytes;

import io.minibit.core.ErrorCode;
import io.minibit.core.Hashing;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.tracker.SwarmStore.Announce;
import io.minibit.tracker.SwarmStore.AnnounceResult;
import io.minibit.tracker.SwarmStore.Event;
import io.minibit.tracker.SwarmStore.Peer;
import io.minibit.tracker.SwarmStore.SwarmCounts;
import java.nio.charset.StandardCharsets;
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
 * dropped from its swarm's keys by the next call that reads them (at most {@value
 * SwarmScripts#PRUNE_BATCH} per call), and a swarm nobody heard from for as long expires whole,
 * so nothing needs a sweeper. Time is Redis's own
 * clock ({@code TIME}), the one clock every tracker on it shares.
 *
 * <p>What an announce costs does not grow with its swarm: joining and leaving are O(log n) and
 * the sample, with what each member announced, is drawn with one HRANDFIELD, O(wanted). A busy
 * swarm's announces share one read of it instead, as {@link SwarmSamples} decides. Thread-safe.
 */
public final class RedisSwarms implements SwarmStore {
  private static final String SESSION = RedisStore.PREFIX + "session:";
  private static final String PEER_SWARMS = RedisStore.PREFIX + "peer-swarms:";
  private static final String SWARM = RedisStore.PREFIX + "swarm:";
  private static final String ADDRESS = RedisStore.PREFIX + "address-sessions:";
  private static final byte[] SWARMS = bytes(RedisStore.PREFIX + "swarms");
  private static final HexFormat HEX = HexFormat.of();

  private final RedisStore redis;
  private final long timeoutMs;
  private final int defaultSampleSize;
  private final TrackerLimits limits;
  private final AtomicLong announces = new AtomicLong();
  private final AtomicLong expirations = new AtomicLong();
  private final SwarmSamples samples = new SwarmSamples();

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
    if (defaultSampleSize < 1 || defaultSampleSize > SwarmStore.MAX_SAMPLE_SIZE) {
      throw new IllegalArgumentException(
          "default sample size must be 1.." + SwarmStore.MAX_SAMPLE_SIZE);
    }
    this.redis = redis;
    this.timeoutMs = heartbeatInterval.multipliedBy(SwarmRegistry.MISSED_HEARTBEATS).toMillis();
    this.defaultSampleSize = defaultSampleSize;
    this.limits = limits;
  }

  @Override
  public AnnounceResult announce(Announce announce) {
    return Futures.join(announceAsync(announce));
  }

  @Override
  public CompletableFuture<AnnounceResult> announceAsync(Announce announce) {
    String peerId = announce.peerId();
    String swarm = SWARM + announce.infoHash().hex();
    // only an announce that proves its id may open a session
    String newToken = announce.proven() ? Sessions.newToken() : null;
    String source = announce.source() == null ? "" : announce.source();
    boolean complete = announce.event() == Event.COMPLETED || announce.complete();
    int wanted = announce.wanted(defaultSampleSize);
    List<byte[]> keys = List.of(bytes(SESSION + peerId), bytes(PEER_SWARMS + peerId),
        bytes(swarm + ":seen"), bytes(swarm + ":seeders"), SWARMS, bytes(ADDRESS + source),
        bytes(RedisCatalog.MANIFEST + announce.infoHash().hex()));
    byte[] entries = bytes(swarm + ":peers");
    List<byte[]> args = List.of(bytes(peerId), bytes(tokenHash(announce.sessionToken())),
        bytes(newToken == null ? "" : tokenHash(newToken)), RedisStore.bytes(timeoutMs),
        flag(announce.event() == Event.STOPPED), flag(complete), PeerEntries.encode(announce),
        entries, bytes(announce.infoHash().hex()), RedisStore.bytes(limits.maxSwarmMembers()),
        RedisStore.bytes(limits.maxSessionsPerAddress()), bytes(source),
        flag(announce.proven()), bytes(SWARM));
    // a peer that leaves is handed no one
    SwarmSamples.Plan plan = announce.event() == Event.STOPPED
        ? SwarmSamples.NOBODY : samples.plan(swarm, wanted);
    if (plan.held() != null) {
      return redis.runAsync("record an announce", SwarmScripts.ANNOUNCE, keys, args)
          .thenApply(reply -> announced(announce, swarm, (List<?>) reply, source, newToken,
              plan.held()));
    }
    return redis.runThenSampleAsync("record an announce", SwarmScripts.ANNOUNCE, keys, args,
            entries, plan.count())
        .thenApply(sampled -> {
          SwarmSamples.Members drawn = SwarmSamples.Members.of(
              PeerEntries.decode(sampled.drawn(), announce.infoHash()));
          AnnounceResult result = announced(announce, swarm, (List<?>) sampled.reply(), source,
              newToken, drawn);
          samples.drawn(swarm, plan, drawn);
          return result;
        });
  }

  /** The announce's answer from its script's {@code reply}, its sample taken from {@code from}. */
  private AnnounceResult announced(Announce announce, String swarm, List<?> reply, String source,
      String newToken, SwarmSamples.Members from) {
    String peerId = announce.peerId();
    switch ((int) (long) (Long) reply.get(0)) {
      case 0 -> throw tokenMismatch(peerId);
      case 2 -> throw TrackerLimits.swarmFull(announce.infoHash(), (Long) reply.get(1),
          limits.maxSwarmMembers());
      case 3 -> throw TrackerLimits.tooManySessions(source, limits.maxSessionsPerAddress());
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
    long pruned = (Long) reply.get(2);
    expirations.addAndGet(pruned);
    long members = (Long) reply.get(3);
    samples.recorded(swarm, (int) members,
        announce.event() == Event.STOPPED || pruned > 0 || (Long) reply.get(5) == 1);
    List<Peer> sample = from.pick(peerId, announce.wanted(defaultSampleSize));
    return new AnnounceResult(opened ? newToken : announce.sessionToken(), sample,
        counts(members, (Long) reply.get(4)));
  }

  @Override
  public void heartbeat(String peerId, String token) {
    Futures.join(heartbeatAsync(peerId, token));
  }

  @Override
  public CompletableFuture<Void> heartbeatAsync(String peerId, String token) {
    return redis.runAsync("record a heartbeat", SwarmScripts.HEARTBEAT,
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
    List<?> reply = (List<?>) redis.run("count a swarm", SwarmScripts.COUNTS, countKeys(infoHash),
        countArgs(infoHash));
    return countsOf(infoHash, reply);
  }

  @Override
  public Map<InfoHash, SwarmCounts> counts(Collection<InfoHash> infoHashes) {
    return redis.call("count swarms", jedis -> {
      Map<InfoHash, Response<Object>> replies = new HashMap<>();
      try (AbstractPipeline pipeline = jedis.pipelined()) {
        for (InfoHash infoHash : infoHashes) {
          // EVAL, not EVALSHA: a pipeline cannot fall back on NOSCRIPT; the source is small
          replies.put(infoHash, pipeline.eval(SwarmScripts.COUNTS.source(), countKeys(infoHash),
              countArgs(infoHash)));
        }
        pipeline.sync();
      }
      Map<InfoHash, SwarmCounts> counts = new HashMap<>();
      replies.forEach((infoHash, reply) ->
          counts.put(infoHash, countsOf(infoHash, (List<?>) reply.get())));
      return counts;
    });
  }

  @Override
  public List<Peer> members(InfoHash infoHash) {
    String swarm = SWARM + infoHash.hex();
    List<?> reply = (List<?>) redis.run("list a swarm", SwarmScripts.MEMBERS,
        List.of(bytes(swarm + ":seen"), bytes(swarm + ":seeders")),
        List.of(RedisStore.bytes(timeoutMs), bytes(swarm + ":peers")));
    pruned(infoHash, (Long) reply.get(0));
    List<?> ids = (List<?>) reply.get(1);
    List<?> scores = (List<?>) reply.get(2);
    List<?> entries = (List<?>) reply.get(3);
    List<Peer> members = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      if (entries.get(i) != null) {
        Instant seen = Instant.ofEpochMilli((long) Double.parseDouble(string(scores.get(i))));
        members.add(PeerEntries.decode(string(ids.get(i)), (byte[]) entries.get(i), seen,
            infoHash));
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

  private SwarmCounts countsOf(InfoHash infoHash, List<?> reply) {
    pruned(infoHash, (Long) reply.get(0));
    return counts((Long) reply.get(1), (Long) reply.get(2));
  }

  private void pruned(InfoHash infoHash, long expired) {
    expirations.addAndGet(expired);
    if (expired > 0) {
      samples.changed(SWARM + infoHash.hex());
    }
  }

  private static SwarmCounts counts(long members, long seeders) {
    return new SwarmCounts((int) seeders, (int) (members - seeders));
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

package io.minibit.tracker;

import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * The tracker's soft state: the peers in each torrent's swarm and each peer's session. Nothing
 * here survives a restart; peers rebuild it by announcing again.
 *
 * <p>A session is keyed by peer id and refreshed by every announce and heartbeat. A session not
 * refreshed for {@value #MISSED_HEARTBEATS} heartbeat intervals is expired: every call drops it
 * at once, with its peer from every swarm, and {@link #expire()} (which the server calls when
 * {@link #nextExpiry()} says one may be due) reports it. Sessions are kept in the order of their
 * last contact, so finding the expired ones costs nothing while there are none: what an
 * announce costs does not grow with the number of sessions or the size of its swarm (see
 * {@link Swarm}).
 *
 * <p>Thread-safe: every method runs under the registry's own lock. It starts no threads and does
 * no I/O; time comes from the injected {@link Clock} and sampling from the injected {@link Random}.
 */
public final class SwarmRegistry implements SwarmStore {
  /** Most peers an announce returns, whatever it asks for. */
  public static final int MAX_SAMPLE_SIZE = 200;
  /** Heartbeat intervals a session may go without a refresh before it expires. */
  public static final int MISSED_HEARTBEATS = 3;

  private static final int TOKEN_BYTES = 16;
  private static final HexFormat HEX = HexFormat.of();

  /** What an announce reports (see AnnounceEvent in tracker.proto). */
  public enum Event { NONE, STARTED, COMPLETED, STOPPED }

  /**
   * One announce, already validated.
   *
   * @param sessionToken the token the peer presents; empty on its first announce
   * @param numWant peers wanted, or 0 for the configured default
   * @param have the peer's bitfield, or null if it sent none
   * @param downloadRate bytes per second it receives lately
   * @param proven the caller proved it holds the key {@code peerId} derives from (checked by
   *     the API before the call): only such an announce opens a session, or replaces one whose
   *     token it does not know
   * @param source the address the call came from, or null if the tracker cannot see it (then
   *     no limit per address applies)
   */
  public record Announce(InfoHash infoHash, String peerId, String host, int port, Event event,
      int haveCount, boolean complete, long uploaded, long downloaded, String sessionToken,
      int numWant, Bitfield have, double downloadRate, boolean proven, String source) {
    public Announce {
      Objects.requireNonNull(infoHash, "infoHash");
      Objects.requireNonNull(peerId, "peerId");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(event, "event");
      Objects.requireNonNull(sessionToken, "sessionToken");
    }

    /** A proven announce (see {@code proven}) from an address the tracker cannot see. */
    public Announce(InfoHash infoHash, String peerId, String host, int port, Event event,
        int haveCount, boolean complete, long uploaded, long downloaded, String sessionToken,
        int numWant, Bitfield have, double downloadRate) {
      this(infoHash, peerId, host, port, event, haveCount, complete, uploaded, downloaded,
          sessionToken, numWant, have, downloadRate, true, null);
    }

    /** A proven announce without a bitfield or a rate. */
    public Announce(InfoHash infoHash, String peerId, String host, int port, Event event,
        int haveCount, boolean complete, long uploaded, long downloaded, String sessionToken,
        int numWant) {
      this(infoHash, peerId, host, port, event, haveCount, complete, uploaded, downloaded,
          sessionToken, numWant, null, 0);
    }
  }

  /** A member of a swarm as it last announced itself; {@code have} null if it sent none. */
  public record Peer(String peerId, String host, int port, boolean complete, int haveCount,
      long uploaded, long downloaded, Instant lastAnnounce, Bitfield have, double downloadRate) {}

  /** Live peers of a swarm, by whether they hold every block. */
  public record SwarmCounts(int seeders, int leechers) {}

  /**
   * What an announce gets back.
   *
   * @param peers a uniformly random sample of the swarm's other live peers
   * @param counts the swarm after this announce
   */
  public record AnnounceResult(String sessionToken, List<Peer> peers, SwarmCounts counts) {}

  private static final class Session {
    final String token;
    final String source; // null if unknown
    final Set<InfoHash> swarms = new LinkedHashSet<>();
    Instant lastSeen;

    Session(String token, String source, Instant lastSeen) {
      this.token = token;
      this.source = source;
      this.lastSeen = lastSeen;
    }
  }

  private final Object lock = new Object();
  private final Clock clock;
  private final Random random;
  private final Duration sessionTimeout;
  private final int defaultSampleSize;
  private final SecureRandom tokenSource = new SecureRandom();
  /** By last contact, the longest silent first: a refresh moves a session to the end. */
  private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>();
  private final Map<InfoHash, Swarm> swarms = new HashMap<>();
  /** Live sessions by the address they were opened from. */
  private final Map<String, Integer> sessionsBySource = new HashMap<>();
  private final TrackerLimits limits;
  /** Sessions dropped as expired since the last {@link #expire()}, which reports them. */
  private final Set<String> expiredSinceSweep = new LinkedHashSet<>();
  private long announces;
  private long expirations;

  /**
   * @param heartbeatInterval the interval peers are told to heartbeat at
   * @param defaultSampleSize peers returned when an announce asks for 0, 1..{@value
   *     #MAX_SAMPLE_SIZE}
   * @param random source of sampling; seed it in tests
   */
  public SwarmRegistry(Clock clock, Random random, Duration heartbeatInterval,
      int defaultSampleSize) {
    this(clock, random, heartbeatInterval, defaultSampleSize, TrackerLimits.DEFAULTS);
  }

  /** As above, holding no more than {@code limits} allow. */
  public SwarmRegistry(Clock clock, Random random, Duration heartbeatInterval,
      int defaultSampleSize, TrackerLimits limits) {
    if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
      throw new IllegalArgumentException("heartbeat interval must be positive");
    }
    if (defaultSampleSize < 1 || defaultSampleSize > MAX_SAMPLE_SIZE) {
      throw new IllegalArgumentException("default sample size must be 1.." + MAX_SAMPLE_SIZE);
    }
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.sessionTimeout = heartbeatInterval.multipliedBy(MISSED_HEARTBEATS);
    this.defaultSampleSize = defaultSampleSize;
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Records an announce and samples the other peers of its swarm.
   *
   * <p>A proven announce (see {@link Announce#proven}) of a peer id without a live session opens
   * one, whatever token it presents (the tracker may have restarted since the peer got its
   * token); one without proof is UNAUTHENTICATED, so nobody opens a session under another peer's
   * id. A token that does not match the live session's is PERMISSION_DENIED, unless the announce
   * is proven: then the peer restarted and lost its token, and a new session replaces the old
   * one (which leaves its swarms). STOPPED removes the peer from the swarm and returns
   * no peers; any other event adds or updates it, as a seeder if the event is COMPLETED or the
   * peer says it is complete.
   */
  @Override
  public AnnounceResult announce(Announce announce) {
    synchronized (lock) {
      Instant now = clock.instant();
      dropExpired(now);
      Session session = sessions.get(announce.peerId());
      Swarm swarm = swarms.get(announce.infoHash());
      if (announce.event() != Event.STOPPED && swarm != null
          && swarm.size() >= limits.maxSwarmMembers() && !swarm.contains(announce.peerId())) {
        throw swarmFull(announce.infoHash(), swarm.size(), limits.maxSwarmMembers());
      }
      if (session != null && announce.proven() && !tokenMatches(session, announce.sessionToken())) {
        sessions.remove(announce.peerId());
        dropped(announce.peerId(), session);
        session = null;
        swarm = swarms.get(announce.infoHash());
      }
      if (session == null) {
        if (!announce.proven()) {
          throw new MinibitException(ErrorCode.UNAUTHENTICATED, String.format(
              "peer %s has no live session on this tracker (it expired, or the tracker"
                  + " restarted): the announce that opens one must carry a proof of the peer id",
              announce.peerId()));
        }
        String source = announce.source();
        if (source != null && sessionsBySource.getOrDefault(source, 0)
            >= limits.maxSessionsPerAddress()) {
          throw tooManySessions(source, limits.maxSessionsPerAddress());
        }
        session = new Session(newToken(), source, now);
        sessions.put(announce.peerId(), session);
        if (source != null) {
          sessionsBySource.merge(source, 1, Integer::sum);
        }
        // back before the sweep: it starts clean, and it was never gone for those who asked
        expiredSinceSweep.remove(announce.peerId());
      } else {
        requireToken(session, announce.peerId(), announce.sessionToken());
        refresh(announce.peerId(), session, now);
      }
      announces++;

      if (announce.event() == Event.STOPPED) {
        if (swarm != null) {
          swarm.remove(announce.peerId());
          if (swarm.isEmpty()) {
            swarms.remove(announce.infoHash());
          }
        }
        session.swarms.remove(announce.infoHash());
        return new AnnounceResult(session.token, List.of(), countsOf(announce.infoHash()));
      }

      if (swarm == null) {
        swarm = new Swarm();
        swarms.put(announce.infoHash(), swarm);
      }
      boolean complete = announce.event() == Event.COMPLETED || announce.complete();
      swarm.put(new Peer(announce.peerId(), announce.host(), announce.port(),
          complete, announce.haveCount(), announce.uploaded(), announce.downloaded(), now,
          announce.have(), announce.downloadRate()));
      session.swarms.add(announce.infoHash());

      int wanted = announce.numWant() > 0
          ? Math.min(announce.numWant(), MAX_SAMPLE_SIZE)
          : defaultSampleSize;
      List<Peer> sample = swarm.sample(announce.peerId(), wanted, random);
      return new AnnounceResult(session.token, sample, countsOf(announce.infoHash()));
    }
  }

  /**
   * Refreshes a peer's session. NOT_FOUND if it has none (never announced, expired, or the
   * tracker restarted); PERMISSION_DENIED if {@code token} is not the session's.
   */
  @Override
  public void heartbeat(String peerId, String token) {
    synchronized (lock) {
      Instant now = clock.instant();
      dropExpired(now);
      Session session = sessions.get(peerId);
      if (session == null) {
        throw MinibitException.notFound(
            "no session for peer %s (expired, or the tracker restarted): announce again", peerId);
      }
      requireToken(session, peerId, token);
      refresh(peerId, session, now);
    }
  }

  /** Live seeders and leechers of a swarm; zero for a torrent nobody announced. */
  @Override
  public SwarmCounts counts(InfoHash infoHash) {
    synchronized (lock) {
      dropExpired(clock.instant());
      return countsOf(infoHash);
    }
  }

  /**
   * Drops every session not refreshed within {@value #MISSED_HEARTBEATS} heartbeat intervals and
   * removes its peer from every swarm.
   *
   * @return the peer ids expired
   */
  public List<String> expire() {
    synchronized (lock) {
      dropExpired(clock.instant());
      List<String> expired = List.copyOf(expiredSinceSweep);
      expiredSinceSweep.clear();
      expirations += expired.size();
      return expired;
    }
  }

  /**
   * When the first session held falls due for {@link #expire()} if nothing refreshes it before;
   * empty if no session is held. Every session opened later falls due a whole session timeout
   * ({@link #sessionTimeout()}) after it opens.
   */
  public Optional<Instant> nextExpiry() {
    synchronized (lock) {
      Instant now = clock.instant();
      dropExpired(now);
      if (!expiredSinceSweep.isEmpty()) {
        return Optional.of(now); // dropped already, not reported yet
      }
      if (sessions.isEmpty()) {
        return Optional.empty();
      }
      // the longest silent session is the first; isExpired() is strict: the session is still
      // live at lastSeen + timeout exactly
      return Optional.of(sessions.values().iterator().next().lastSeen.plus(sessionTimeout)
          .plusNanos(1));
    }
  }

  /** How long a session lasts without a refresh: {@value #MISSED_HEARTBEATS} heartbeats. */
  public Duration sessionTimeout() {
    return sessionTimeout;
  }

  /** The live members of a swarm as they last announced; empty for an unknown torrent. */
  @Override
  public List<Peer> members(InfoHash infoHash) {
    synchronized (lock) {
      dropExpired(clock.instant());
      Swarm swarm = swarms.get(infoHash);
      return swarm == null ? List.of() : swarm.members();
    }
  }

  /** Live seeders and leechers of every swarm that has a member. */
  @Override
  public Map<InfoHash, SwarmCounts> allCounts() {
    synchronized (lock) {
      dropExpired(clock.instant());
      Map<InfoHash, SwarmCounts> all = new HashMap<>();
      swarms.keySet().forEach(infoHash -> all.put(infoHash, countsOf(infoHash)));
      return all;
    }
  }

  /** Announces taken since the registry was made (refused ones not counted). */
  @Override
  public long announceCount() {
    synchronized (lock) {
      return announces;
    }
  }

  /** Sessions {@link #expire()} dropped since the registry was made. */
  @Override
  public long expiredCount() {
    synchronized (lock) {
      return expirations;
    }
  }

  /** Number of sessions held, expired or not, until the next {@link #expire()}. */
  public int sessionCount() {
    synchronized (lock) {
      return sessions.size();
    }
  }

  /**
   * Drops every expired session, with its peer from every swarm, and keeps its id for the next
   * {@link #expire()} to report. The longest silent sessions come first, so this stops at the
   * first live one.
   */
  private void dropExpired(Instant now) {
    for (Iterator<Map.Entry<String, Session>> it = sessions.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Session> entry = it.next();
      if (!isExpired(entry.getValue(), now)) {
        return;
      }
      it.remove();
      dropped(entry.getKey(), entry.getValue());
      expiredSinceSweep.add(entry.getKey());
    }
  }

  /** {@code session} heard from at {@code now}: it moves to the end of the order. */
  private void refresh(String peerId, Session session, Instant now) {
    session.lastSeen = now;
    sessions.remove(peerId);
    sessions.put(peerId, session);
  }

  private boolean isExpired(Session session, Instant now) {
    return now.isAfter(session.lastSeen.plus(sessionTimeout));
  }


  /** {@code session}, removed from the sessions, leaves every swarm and its address's count. */
  private void dropped(String peerId, Session session) {
    if (session.source != null) {
      sessionsBySource.computeIfPresent(session.source, (source, n) -> n == 1 ? null : n - 1);
    }
    leaveAllSwarms(peerId, session);
  }

  private void leaveAllSwarms(String peerId, Session session) {
    for (InfoHash infoHash : session.swarms) {
      Swarm swarm = swarms.get(infoHash);
      if (swarm != null) {
        swarm.remove(peerId);
        if (swarm.isEmpty()) {
          swarms.remove(infoHash);
        }
      }
    }
    session.swarms.clear();
  }


  private SwarmCounts countsOf(InfoHash infoHash) {
    Swarm swarm = swarms.get(infoHash);
    return swarm == null ? new SwarmCounts(0, 0)
        : new SwarmCounts(swarm.seeders(), swarm.leechers());
  }

  static MinibitException swarmFull(InfoHash infoHash, long members, int limit) {
    return new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, String.format(
        "swarm %s is full: it has %d members and this tracker takes at most %d in one swarm"
            + " (--max-swarm-members)", infoHash, members, limit));
  }

  static MinibitException tooManySessions(String source, int limit) {
    return new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, String.format(
        "address %s holds %d peer sessions already, the most this tracker opens for one"
            + " address (--max-sessions-per-address)", source, limit));
  }

  private static void requireToken(Session session, String peerId, String presented) {
    if (!tokenMatches(session, presented)) {
      throw new MinibitException(ErrorCode.PERMISSION_DENIED, String.format(
          "session token does not match the live session of peer %s", peerId));
    }
  }

  private static boolean tokenMatches(Session session, String presented) {
    // Constant-time, so response timing does not leak how much of a guess was right.
    return MessageDigest.isEqual(session.token.getBytes(StandardCharsets.US_ASCII),
        presented.getBytes(StandardCharsets.UTF_8));
  }

  private String newToken() {
    byte[] bytes = new byte[TOKEN_BYTES];
    tokenSource.nextBytes(bytes);
    return HEX.formatHex(bytes);
  }
}

package io.minibit.tracker;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.tracker.Sessions.Session;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.function.BiConsumer;

/**
 * The tracker's soft state: the peers in each torrent's swarm and each peer's session. Nothing
 * here survives a restart; peers rebuild it by announcing again.
 *
 * <p>A session is keyed by peer id and refreshed by every announce and heartbeat. A session not
 * refreshed for {@value #MISSED_HEARTBEATS} heartbeat intervals is expired: every call drops it
 * at once, with its peer from every swarm, and {@link #expire()} (which the server calls when
 * {@link #nextExpiry()} says one may be due) reports it. {@link Sessions} keeps them in the
 * order of their last contact, so finding the expired ones costs nothing while there are none:
 * what an announce costs does not grow with the number of sessions or the size of its swarm
 * (see {@link Swarm}).
 *
 * <p>Thread-safe: every method runs under the registry's own lock. It starts no threads and does
 * no I/O; time comes from the injected {@link Clock} and sampling from the injected {@link Random}.
 */
public final class SwarmRegistry implements SwarmStore {
  /** Heartbeat intervals a session may go without a refresh before it expires. */
  public static final int MISSED_HEARTBEATS = 3;

  private final Object lock = new Object();
  private final Clock clock;
  private final Random random;
  private final int defaultSampleSize;
  private final Sessions sessions;
  private final Map<InfoHash, Swarm> swarms = new HashMap<>();
  /** What an expired session's peer does: it leaves its swarms. */
  private final BiConsumer<String, Session> leaveAllSwarms = this::leaveAllSwarms;
  private final TrackerLimits limits;
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
    this.sessions = new Sessions(heartbeatInterval.multipliedBy(MISSED_HEARTBEATS));
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
        throw TrackerLimits.swarmFull(announce.infoHash(), swarm.size(), limits.maxSwarmMembers());
      }
      if (session != null && announce.proven()
          && !Sessions.tokenMatches(session, announce.sessionToken())) {
        sessions.remove(announce.peerId());
        leaveAllSwarms(announce.peerId(), session);
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
        if (sessions.sourceFull(source, limits.maxSessionsPerAddress())) {
          throw TrackerLimits.tooManySessions(source, limits.maxSessionsPerAddress());
        }
        session = sessions.open(announce.peerId(), source, now);
      } else {
        Sessions.requireToken(session, announce.peerId(), announce.sessionToken());
        sessions.refresh(announce.peerId(), session, now);
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

      int wanted = announce.wanted(defaultSampleSize);
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
      Sessions.requireToken(session, peerId, token);
      sessions.refresh(peerId, session, now);
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
      List<String> expired = sessions.takeExpired();
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
      return sessions.nextExpiry(now);
    }
  }

  /** How long a session lasts without a refresh: {@value #MISSED_HEARTBEATS} heartbeats. */
  public Duration sessionTimeout() {
    return sessions.timeout();
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

  /** Drops every expired session, with its peer from every swarm (see {@link Sessions}). */
  private void dropExpired(Instant now) {
    sessions.dropExpired(now, leaveAllSwarms);
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
}

package io.minibit.tracker;

import io.minibit.core.Bitfield;
import io.minibit.core.InfoHash;
import io.minibit.core.SwarmHealthCalculator;
import io.minibit.core.Torrent;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The tracker's soft state: each torrent's swarm and each peer's session, which peers rebuild by
 * announcing if it is lost. Two implementations: {@link SwarmRegistry}, in this process's memory,
 * and {@link RedisSwarms}, shared by every tracker on one Redis, where a peer that announced to
 * one tracker is handed out by the others.
 *
 * <p>A session is keyed by peer id and refreshed by every announce and heartbeat; a peer silent
 * for {@value SwarmRegistry#MISSED_HEARTBEATS} heartbeat intervals leaves every swarm.
 * Implementations are thread-safe.
 */
public interface SwarmStore {
  /** Most peers an announce returns, whatever it asks for. */
  int MAX_SAMPLE_SIZE = 200;

  /** What an announce reports (see AnnounceEvent in tracker.proto). */
  enum Event { NONE, STARTED, COMPLETED, STOPPED }

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
  record Announce(InfoHash infoHash, String peerId, String host, int port, Event event,
      int haveCount, boolean complete, long uploaded, long downloaded, String sessionToken,
      int numWant, Bitfield have, double downloadRate, boolean proven, String source) {
    public Announce {
      Objects.requireNonNull(infoHash, "infoHash");
      Objects.requireNonNull(peerId, "peerId");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(event, "event");
      Objects.requireNonNull(sessionToken, "sessionToken");
    }

    /**
     * How many peers this announce gets at most: what it asks for, at most
     * {@value SwarmStore#MAX_SAMPLE_SIZE}, or the store's {@code defaultSampleSize} if it
     * asks for none.
     */
    int wanted(int defaultSampleSize) {
      return numWant > 0 ? Math.min(numWant, SwarmStore.MAX_SAMPLE_SIZE) : defaultSampleSize;
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
  record Peer(String peerId, String host, int port, boolean complete, int haveCount,
      long uploaded, long downloaded, Instant lastAnnounce, Bitfield have, double downloadRate) {}

  /** Live peers of a swarm, by whether they hold every block. */
  record SwarmCounts(int seeders, int leechers) {}

  /**
   * What an announce gets back.
   *
   * @param peers a uniformly random sample of the swarm's other live peers
   * @param counts the swarm after this announce
   */
  record AnnounceResult(String sessionToken, List<Peer> peers, SwarmCounts counts) {}

  /**
   * Records an announce and samples the other peers of its swarm.
   *
   * <p>Only a proven announce (see {@link Announce#proven()}) opens a session, or
   * replaces a live one whose token it does not present; any other announce without a live
   * session is UNAUTHENTICATED, and with a token that does not match, PERMISSION_DENIED.
   * STOPPED removes the peer from the swarm and returns no peers; any other event adds or
   * updates it, as a seeder if the event is COMPLETED or the peer says it is complete.
   */
  AnnounceResult announce(Announce announce);

  /**
   * {@link #announce} for a caller that must not wait on it (a network thread): the result, or
   * the {@link io.minibit.core.MinibitException} it fails with, may come on another thread.
   */
  default CompletableFuture<AnnounceResult> announceAsync(Announce announce) {
    try {
      return CompletableFuture.completedFuture(announce(announce));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Refreshes a peer's session. NOT_FOUND if it has none (never announced, expired, or the
   * state was lost); PERMISSION_DENIED if {@code token} is not the session's.
   */
  void heartbeat(String peerId, String token);

  /** {@link #heartbeat} for a caller that must not wait on it (see {@link #announceAsync}). */
  default CompletableFuture<Void> heartbeatAsync(String peerId, String token) {
    try {
      heartbeat(peerId, token);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Live seeders and leechers of a swarm; zero for a torrent nobody announced. */
  SwarmCounts counts(InfoHash infoHash);

  /** {@link #counts(InfoHash)} of each of {@code infoHashes}, in one go where the store can. */
  default Map<InfoHash, SwarmCounts> counts(Collection<InfoHash> infoHashes) {
    Map<InfoHash, SwarmCounts> counts = new HashMap<>();
    infoHashes.forEach(infoHash -> counts.put(infoHash, counts(infoHash)));
    return counts;
  }

  /** The live members of a swarm as they last announced; empty for an unknown torrent. */
  List<Peer> members(InfoHash infoHash);

  /** Live seeders and leechers of every swarm that has a member. */
  Map<InfoHash, SwarmCounts> allCounts();

  /** Announces this tracker process took (refused ones not counted). */
  long announceCount();

  /** Peers this tracker process saw leave their swarms for missing their heartbeats. */
  long expiredCount();

  /** The health of {@code torrent}'s swarm from its live members' last announces. */
  default SwarmHealthCalculator.Health health(Torrent torrent) {
    return SwarmHealthCalculator.compute(torrent, members(torrent.infoHash()).stream()
        .map(peer -> new SwarmHealthCalculator.Member(peer.peerId(), peer.have(),
            peer.haveCount(), peer.complete(), peer.downloadRate()))
        .toList());
  }
}

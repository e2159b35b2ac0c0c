package io.minibit.peer.swarm;

import io.minibit.api.v2.AnnounceResponse;
import io.minibit.core.Backoff;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * Keeps this peer's session on the tracker alive for the {@link Announcer}: every announce
 * refreshes it, and a heartbeat goes out only when none has for a heartbeat interval. It tells
 * when the tracker lost the session (an announce got a new token from the same tracker, or a
 * heartbeat is NOT_FOUND or PERMISSION_DENIED); in the second case it has every torrent
 * announced again itself.
 *
 * <p>Not thread-safe: touched only on the announcer thread.
 */
final class TrackerSessionKeeper {
  // filed under the announcer, as these messages always were
  private static final Logger log = Logger.getLogger(Announcer.class.getName());
  private static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(30);

  private final TrackerClient tracker;
  private final String peerId;
  private final ScheduledExecutorService thread;
  private final Backoff backoff;
  private final BooleanSupplier inAnySwarm;
  private final Runnable reannounceAll;
  /** The last session token a tracker gave ("" for none); the client sends each its own. */
  private String token = "";
  /** The tracker that gave {@link #token}. */
  private String tokenFrom = "";
  private Duration interval = DEFAULT_HEARTBEAT;
  /** Due one heartbeat interval after the session was last refreshed, by any call. */
  private ScheduledFuture<?> heartbeat;

  /**
   * @param thread the announcer's thread, where heartbeats run
   * @param inAnySwarm whether the announcer tracks any torrent: without one there is no session
   *     to keep
   * @param reannounceAll announces every torrent again at once (the session was lost)
   */
  TrackerSessionKeeper(TrackerClient tracker, String peerId, ScheduledExecutorService thread,
      Backoff backoff, BooleanSupplier inAnySwarm, Runnable reannounceAll) {
    this.tracker = tracker;
    this.peerId = peerId;
    this.thread = thread;
    this.backoff = backoff;
    this.inAnySwarm = inAnySwarm;
    this.reannounceAll = reannounceAll;
  }

  /**
   * The tracker at {@code from} answered an announce with {@code response}. True if it had lost
   * the session we held there, and with it every other swarm this peer was in. (A new token
   * from another tracker is a move, which the announcer takes care of.)
   */
  boolean announced(String from, AnnounceResponse response) {
    boolean forgotten = !token.isEmpty() && tokenFrom.equals(from)
        && !token.equals(response.getSessionToken());
    token = response.getSessionToken();
    tokenFrom = from;
    if (response.getHeartbeatIntervalMs() > 0) {
      interval = Duration.ofMillis(response.getHeartbeatIntervalMs());
    }
    return forgotten;
  }

  /** Whether this peer holds a session (a token) on the tracker. */
  boolean open() {
    return !token.isEmpty();
  }

  /** Our session is gone or was taken over: the next announce opens a new one. */
  void drop() {
    token = "";
  }

  /** A call refreshed the session: the heartbeat comes due one interval from now. */
  void refreshed() {
    heartbeatAfter(interval);
  }

  /** The tracker went away and serves again: does it still know this peer? */
  void trackerBack() {
    if (inAnySwarm.getAsBoolean()) {
      heartbeatNow();
    }
  }

  /** (Re)arms the heartbeat to come due after {@code delay}. */
  private void heartbeatAfter(Duration delay) {
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    heartbeat = thread.schedule(this::heartbeat, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Nothing has refreshed the session for a heartbeat interval: a heartbeat does. */
  private void heartbeat() {
    if (!inAnySwarm.getAsBoolean()) {
      heartbeat = null; // no swarm to stay in; the next announce opens a session again
      return;
    }
    heartbeatNow();
  }

  private void heartbeatNow() {
    if (token.isEmpty()) {
      reannounceAll.run();
      heartbeatAfter(interval);
      return;
    }
    try {
      var response = tracker.heartbeat(peerId);
      backoff.reset();
      heartbeatAfter(Duration.ofMillis(Math.max(100, response.getIntervalMs())));
    } catch (MinibitException e) {
      if (e.code() == ErrorCode.NOT_FOUND || e.code() == ErrorCode.PERMISSION_DENIED) {
        log.info("the tracker no longer knows this peer; announcing every torrent again");
        token = "";
        reannounceAll.run();
        heartbeatAfter(interval);
      } else {
        Duration delay = backoff.nextDelay();
        Duration wait = delay.compareTo(interval) < 0 ? delay : interval;
        log.warning(() -> "heartbeat failed (" + e.getMessage() + "); retrying in "
            + wait.toMillis() + " ms");
        heartbeatAfter(wait);
      }
    }
  }
}

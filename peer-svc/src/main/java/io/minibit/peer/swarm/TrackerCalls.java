package io.minibit.peer.swarm;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.Backoff;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.peer.policy.TrackerRotation;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The call plumbing of {@link TrackerClient}: runs each call on the current tracker (see {@link
 * TrackerRotation}), under a deadline, handing it to the next one when a tracker cannot be
 * reached (UNAVAILABLE, DEADLINE_EXCEEDED), and maps what fails to a {@link MinibitException}
 * that names the tracker. A move is logged and told to the listeners. How often a call is made
 * is its {@link Pace}: a publish or a manifest fetch, which a share or a download waits on, makes
 * up to {@link #WAITED_ROUNDS} rounds with a backoff between them, so that a tracker too busy to
 * answer within the deadline (a host starting many daemons at once) is asked again instead of
 * failing the user's download.
 *
 * <p>Thread-safe: the rotation is guarded by its own lock; no call is made under it.
 */
final class TrackerCalls {
  // filed under the client, as these messages always were
  private static final Logger log = Logger.getLogger(TrackerClient.class.getName());
  static final long DEADLINE_SECONDS = 5;
  /**
   * The wait after a round in which no tracker answered: 250 ms doubling up to 1 s. The
   * announcer paces its own retries; this only keeps a burst of calls from each making a round,
   * and must not keep a returned tracker waiting longer than a heartbeat or so.
   */
  private static final Duration ROUND_BACKOFF_INITIAL = Duration.ofMillis(250);
  private static final Duration ROUND_BACKOFF_MAX = Duration.ofSeconds(1);
  /**
   * The rounds of a call someone waits for ({@link Pace#ROUNDS}), and the wait between two of
   * them: 250 ms, then 500 ms (jittered); another round only while the call it serves, if it
   * has a deadline, has time left for it.
   */
  static final int WAITED_ROUNDS = 3;

  /** How a call goes on when no tracker answers it. */
  enum Pace {
    /**
     * Announces and heartbeats, which their owner retries at its own pace: one round, and none
     * while the backoff after a failed round lasts (the call fails at once).
     */
    PACED,
    /** A look the user can take again (the catalog on the swarm page): one round, at once. */
    ONE_ROUND,
    /**
     * A publish or a manifest fetch, which a share or a download waits on (each as good to make
     * twice as once): up to {@link #WAITED_ROUNDS} rounds, at once and then after a backoff.
     */
    ROUNDS
  }

  /** One tracker, with the stubs calls to it go through. */
  record Tracker(String target, TrackerServiceGrpc.TrackerServiceBlockingStub stub,
      HealthGrpc.HealthStub health, Runnable reconnectNow) {}

  private final List<Tracker> trackers;
  /** Guarded by itself. */
  private final TrackerRotation rotation;
  private final List<Consumer<TrackerClient.Switch>> listeners = new CopyOnWriteArrayList<>();
  /** Jitters the waits between a waited call's rounds (thread-safe). */
  private final Random random;

  /** The trackers at {@code endpoints}, in order of preference. */
  TrackerCalls(List<TrackerClient.Endpoint> endpoints, Clock clock, Random random) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no tracker");
    }
    this.trackers = endpoints.stream().map(e -> new Tracker(e.target(),
        TrackerServiceGrpc.newBlockingStub(e.channel()), HealthGrpc.newStub(e.channel()),
        e.reconnectNow())).toList();
    this.random = random;
    this.rotation = new TrackerRotation(trackers.size(),
        new Backoff(ROUND_BACKOFF_INITIAL, ROUND_BACKOFF_MAX, 2.0, random), clock);
  }

  int size() {
    return trackers.size();
  }

  /** The tracker calls go to now. */
  Tracker current() {
    synchronized (rotation) {
      return trackers.get(rotation.current());
    }
  }

  /** The tracker that answered last (the first one before any has). */
  String inUse() {
    synchronized (rotation) {
      return trackers.get(Math.max(0, rotation.inUse())).target();
    }
  }

  List<String> targets() {
    return trackers.stream().map(Tracker::target).toList();
  }

  void onSwitch(Consumer<TrackerClient.Switch> listener) {
    listeners.add(listener);
  }

  /** The tracker at {@code target} went away or is not serving: calls go to the next one. */
  void lost(String target) {
    int index = indexOf(target);
    if (index >= 0) {
      synchronized (rotation) {
        rotation.failed(index);
      }
    }
  }

  /** The tracker at {@code target} serves: it is an answer. */
  void serving(String target) {
    int index = indexOf(target);
    if (index >= 0) {
      answered(index);
    }
  }

  private int indexOf(String target) {
    for (int i = 0; i < trackers.size(); i++) {
      if (trackers.get(i).target().equals(target)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Runs {@code rpc} on one tracker after another, from the current one, until one answers;
   * {@code rpc} is told which tracker (its index) it calls.
   *
   * @param pace how the call goes on when no tracker answers
   */
  <T> T call(String action, Pace pace,
      BiFunction<Integer, TrackerServiceGrpc.TrackerServiceBlockingStub, T> rpc) {
    if (pace != Pace.ROUNDS) {
      try {
        return round(action, pace == Pace.PACED, rpc);
      } catch (Unreached e) {
        throw e.failure(1);
      }
    }
    // the same steps as between the rounds of paced calls, counted for this call alone
    Backoff backoff = new Backoff(ROUND_BACKOFF_INITIAL, ROUND_BACKOFF_MAX, 2.0, random);
    for (int round = 1; ; round++) {
      try {
        return round(action, false, rpc);
      } catch (Unreached e) {
        Duration wait = backoff.nextDelay();
        if (round == WAITED_ROUNDS || !timeLeftFor(wait) || !waitedOut(wait)) {
          throw e.failure(round);
        }
      }
    }
  }

  /**
   * Waits {@code wait} before another round; false if the call this one serves is cancelled
   * (its caller gave up) or the thread is interrupted first, at that moment.
   */
  private static boolean waitedOut(Duration wait) {
    Context context = Context.current();
    CountDownLatch cancelled = new CountDownLatch(1);
    Context.CancellationListener listener = gone -> cancelled.countDown();
    context.addListener(listener, MoreExecutors.directExecutor());
    try {
      return !cancelled.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      context.removeListener(listener);
    }
  }

  /**
   * Whether the call this one serves (the gRPC context's deadline, if any) leaves time to wait
   * {@code wait} and make one more round under the full deadline. A caller with less time left
   * is told what the tracker did now, before its own deadline passes and says less.
   */
  private static boolean timeLeftFor(Duration wait) {
    Context context = Context.current();
    if (context.isCancelled()) {
      return false;
    }
    Deadline deadline = context.getDeadline();
    return deadline == null || deadline.timeRemaining(TimeUnit.MILLISECONDS)
        > wait.toMillis() + TimeUnit.SECONDS.toMillis(DEADLINE_SECONDS);
  }

  /**
   * A round in which no tracker answered (UNAVAILABLE or DEADLINE_EXCEEDED from each): what each
   * said, made into the caller's failure once no more rounds are made.
   */
  private final class Unreached extends RuntimeException {
    private final String action;
    private final List<String> failures;
    private final StatusRuntimeException last;

    Unreached(String action, List<String> failures, StatusRuntimeException last) {
      super(null, null, false, false);
      this.action = action;
      this.failures = failures;
      this.last = last;
    }

    /** The failure after {@code rounds} such rounds; more than one is said. */
    MinibitException failure(int rounds) {
      String times = rounds == 1 ? "" : "; asked " + rounds + " times";
      if (trackers.size() == 1) {
        return error(last.getStatus(), detail(last.getStatus()) + times,
            trackers.get(0).target(), action, last);
      }
      return new MinibitException(ErrorCode.UNAVAILABLE, "cannot reach any tracker to " + action
          + " (" + String.join("; ", failures) + times + ")", last);
    }
  }

  /**
   * One round: the trackers of {@link TrackerRotation#order} (all of them, from the current one,
   * for a call that is not paced: it makes a round whatever the backoff), until one answers.
   * Unreached if none does.
   */
  private <T> T round(String action, boolean paced,
      BiFunction<Integer, TrackerServiceGrpc.TrackerServiceBlockingStub, T> rpc) {
    List<Integer> order;
    synchronized (rotation) {
      order = rotation.order();
      if (order.isEmpty() && paced) {
        long wait = rotation.waitBeforeRound().toMillis();
        throw new MinibitException(ErrorCode.UNAVAILABLE, String.format(
            "cannot reach %s to %s: no tracker answered just now; trying again in %d ms",
            trackers.size() == 1 ? "the tracker at " + trackers.get(0).target() : "any tracker ("
                + String.join(", ", targets()) + ")", action, wait));
      }
      if (order.isEmpty()) {
        order = new ArrayList<>();
        for (int i = 0; i < trackers.size(); i++) {
          order.add((rotation.current() + i) % trackers.size());
        }
      }
    }
    List<String> failures = new ArrayList<>();
    StatusRuntimeException last = null;
    for (int index : order) {
      Tracker tracker = trackers.get(index);
      try {
        T result = rpc.apply(index,
            tracker.stub().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS));
        answered(index);
        return result;
      } catch (StatusRuntimeException e) {
        Status status = e.getStatus();
        if (status.getCode() != Status.Code.UNAVAILABLE
            && status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
          answered(index);
          throw error(status, detail(status), tracker.target(), action, e);
        }
        // dialled again on the next call, without waiting out the channel's backoff
        tracker.reconnectNow().run();
        synchronized (rotation) {
          rotation.failed(index);
        }
        failures.add(tracker.target() + ": " + detail(status));
        last = e;
      }
    }
    throw new Unreached(action, failures, last);
  }

  /** Tracker {@code index} answered: if calls moved to it, says so. */
  private void answered(int index) {
    TrackerClient.Switch moved;
    synchronized (rotation) {
      int before = Math.max(0, rotation.inUse());
      if (!rotation.answered(index)) {
        return;
      }
      moved = new TrackerClient.Switch(trackers.get(before).target(),
          trackers.get(index).target());
    }
    log.info(() -> "tracker " + moved.from() + " unreachable, now using " + moved.to());
    listeners.forEach(listener -> listener.accept(moved));
  }

  private static String detail(Status status) {
    return status.getDescription() == null ? status.getCode().toString()
        : status.getDescription();
  }

  private static MinibitException error(Status status, String detail, String target,
      String action, StatusRuntimeException e) {
    return switch (status.getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED -> new MinibitException(ErrorCode.UNAVAILABLE,
          "cannot reach the tracker at " + target + " to " + action + " (" + detail + ")", e);
      case NOT_FOUND -> new MinibitException(ErrorCode.NOT_FOUND, detail, e);
      case INVALID_ARGUMENT -> new MinibitException(ErrorCode.INVALID_ARGUMENT, detail, e);
      case PERMISSION_DENIED -> new MinibitException(ErrorCode.PERMISSION_DENIED, detail, e);
      case UNAUTHENTICATED -> new MinibitException(ErrorCode.UNAUTHENTICATED,
          "the tracker at " + target + " refused to " + action + ": " + detail, e);
      default -> new MinibitException(ErrorCode.UNAVAILABLE,
          "the tracker at " + target + " failed to " + action + ": " + detail, e);
    };
  }
}

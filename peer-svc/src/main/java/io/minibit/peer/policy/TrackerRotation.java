package io.minibit.peer.policy;

import io.minibit.core.Backoff;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which of a peer's trackers (numbered 0..n-1 in order of preference) its calls go to. Calls go to
 * one tracker at a time, the <em>current</em> one. A tracker that cannot be reached (or says it is
 * not serving) hands over to the next one in the list that has not failed in this round; the
 * first that answers becomes the one <em>in use</em>, and stays so for as long as it answers
 * (sticky: a tracker earlier in the list that comes back is not preferred again, since every move
 * costs a new session and an announce of every torrent; it is tried again when its turn comes
 * round). A round in which every tracker failed makes the next one wait: exponential backoff with
 * jitter, on the injected clock, reset by any answer.
 *
 * <p>Not thread-safe: its owner serialises the calls.
 */
public final class TrackerRotation {
  private final int count;
  private final Backoff backoff;
  private final Clock clock;
  private final BitSet failedThisRound;
  private int current;
  private int inUse = -1;
  private Instant nextRound = Instant.MIN;

  /**
   * @param count how many trackers there are, at least 1
   * @param backoff the wait after a round in which every tracker failed
   */
  public TrackerRotation(int count, Backoff backoff, Clock clock) {
    if (count < 1) {
      throw new IllegalArgumentException("need at least one tracker");
    }
    this.count = count;
    this.backoff = backoff;
    this.clock = clock;
    this.failedThisRound = new BitSet(count);
  }

  /** The tracker the next call goes to first. */
  public int current() {
    return current;
  }

  /** The tracker that answered last, or -1 before any has. */
  public int inUse() {
    return inUse;
  }

  /**
   * The trackers to try for one call, in order: the current one, then the others that have not
   * failed in this round, in list order from there. Empty while the wait after a failed round
   * lasts ({@link #waitBeforeRound}).
   */
  public List<Integer> order() {
    if (clock.instant().isBefore(nextRound)) {
      return List.of();
    }
    List<Integer> order = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int index = (current + i) % count;
      if (!failedThisRound.get(index)) {
        order.add(index);
      }
    }
    return order;
  }

  /** How long until the next round may start: zero unless every tracker failed just now. */
  public Duration waitBeforeRound() {
    Duration wait = Duration.between(clock.instant(), nextRound.equals(Instant.MIN)
        ? clock.instant() : nextRound);
    return wait.isNegative() ? Duration.ZERO : wait;
  }

  /**
   * Tracker {@code index} answered (with anything: an error it returns is still an answer). It
   * becomes the current one and the one in use; the round and its backoff start over.
   *
   * @return true if calls moved: another tracker was in use before (or, for the first answer,
   *     it is not the first tracker: the preferred one could not be reached)
   */
  public boolean answered(int index) {
    check(index);
    failedThisRound.clear();
    backoff.reset();
    nextRound = Instant.MIN;
    current = index;
    int before = inUse < 0 ? 0 : inUse;
    inUse = index;
    return before != index;
  }

  /**
   * Tracker {@code index} could not be reached, or is not serving. If it was the current one, the
   * next tracker that has not failed in this round becomes current; if every tracker has now
   * failed, the round is over and the next one waits out the backoff, starting from the tracker
   * after this one.
   */
  public void failed(int index) {
    check(index);
    failedThisRound.set(index);
    if (failedThisRound.cardinality() == count) {
      failedThisRound.clear();
      nextRound = clock.instant().plus(backoff.nextDelay());
      current = (index + 1) % count;
      return;
    }
    if (index == current) {
      int next = failedThisRound.nextClearBit(index);
      current = next < count ? next : failedThisRound.nextClearBit(0);
    }
  }

  private void check(int index) {
    if (index < 0 || index >= count) {
      throw new IndexOutOfBoundsException("tracker " + index + " of " + count);
    }
  }
}

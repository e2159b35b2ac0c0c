package io.minibit.peer.download;

import io.minibit.peer.policy.RarestFirstPicker;
import io.minibit.peer.policy.RequestTiming;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * The books of what is asked of whom: each peer's calls, the blocks they still owe and how many
 * count against its budget; the picker's requests and the download cap's charge follow them. A
 * block that comes withdraws its other copies (the endgame's duplicate requests); a call that ends
 * or a peer that resets gives its blocks back; a call older than {@link RequestTiming#lateAfter}
 * is marked late, its blocks offered to others.
 *
 * <p>Not thread-safe: only its scheduler's loop touches it.
 */
final class InFlightBook {
  private final RarestFirstPicker picker;
  private final DownloadLimiter limiter;
  private final Clock clock;
  private final int blockSize;

  InFlightBook(RarestFirstPicker picker, DownloadLimiter limiter, Clock clock, int blockSize) {
    this.picker = picker;
    this.limiter = limiter;
    this.clock = clock;
    this.blockSize = blockSize;
  }

  /**
   * A call for {@code limit} of {@code blocks} (the peer chooses which if that is fewer),
   * registered with its peer at once, so that a reset releases its blocks.
   */
  RemotePeer.Call open(RemotePeer peer, List<Integer> blocks, int limit) {
    RemotePeer.Call call = new RemotePeer.Call(blocks, limit, clock.instant(), peer.unchokes);
    peer.calls.add(call);
    return call;
  }

  /** Block {@code index} of {@code call} came; whether it was still owed. */
  boolean arrived(RemotePeer peer, RemotePeer.Call call, int index) {
    boolean wanted = call.outstanding.remove(index);
    if (wanted) {
      // Against the peer's budget only within its call's limit: it may send more than asked.
      if (call.received++ < call.limit) {
        peer.inFlight--;
      }
    }
    peer.requested.clear(index);
    return wanted;
  }

  /** Block {@code index} arrived: other requests for it are withdrawn, and lone ones cancelled. */
  void withdrawOtherCopies(Collection<RemotePeer> peers, int index, RemotePeer.Call winner) {
    for (RemotePeer other : peers) {
      for (RemotePeer.Call call : other.calls) {
        int expected = call.expected();
        if (call != winner && call.outstanding.remove(index)) {
          picker.release(index);
          unrequest(other, expected - call.expected());
          other.requested.clear(index);
          if (call.expected() == 0) {
            call.cancelled = true;
            other.link.cancel(call, "another peer delivered the block first");
          }
        }
      }
    }
  }

  /** {@code call} ended: its blocks not sent go back. False if it was no longer on the books. */
  boolean ended(RemotePeer peer, RemotePeer.Call call) {
    if (!peer.calls.remove(call)) {
      return false;
    }
    unrequest(peer, call.expected());
    for (int index : call.outstanding) {
      picker.release(index);
      peer.requested.clear(index);
    }
    call.outstanding.clear();
    return true;
  }

  /** The peer's connection is gone: every call of it is off the books, its blocks go back. */
  void releaseAll(RemotePeer peer) {
    for (RemotePeer.Call call : peer.calls) {
      call.outstanding.forEach(picker::release);
      call.outstanding.clear();
    }
    peer.calls.clear();
    unrequest(peer, peer.inFlight);
  }

  /** {@code blocks} the peer was asked for will not come: off its pipeline and the cap. */
  void unrequest(RemotePeer peer, int blocks) {
    peer.inFlight -= blocks;
    limiter.refund((long) blocks * blockSize);
  }

  /**
   * Marks the peer's calls that ran late at {@code now}, offering their blocks to other peers;
   * whether any call became late.
   */
  boolean markLate(RemotePeer peer, Instant now) {
    Duration lateAfter = RequestTiming.lateAfter(peer.rate.bytesPerSecond(),
        (long) peer.inFlight * blockSize, peer.rtt.millis());
    boolean any = false;
    for (RemotePeer.Call call : peer.calls) {
      Duration age = Duration.between(call.started, now);
      if (!call.late && !call.outstanding.isEmpty() && age.compareTo(lateAfter) > 0) {
        call.late = true;
        any = true;
        call.outstanding.forEach(picker::markLate);
        peer.lastError = String.format("slow: %d blocks late after %.1f s",
            call.outstanding.size(), age.toMillis() / 1000.0);
      }
    }
    return any;
  }

  /** How long the peer's calls started now may take before it counts as failed. */
  Duration deadline(RemotePeer peer) {
    return RequestTiming.deadline(peer.rate.bytesPerSecond(), (long) peer.inFlight * blockSize,
        peer.rtt.millis());
  }

  /** Blocks of the peer's late calls still to come. */
  static long lateBlocks(RemotePeer peer) {
    return peer.calls.stream().filter(c -> c.late).mapToLong(c -> c.outstanding.size()).sum();
  }
}

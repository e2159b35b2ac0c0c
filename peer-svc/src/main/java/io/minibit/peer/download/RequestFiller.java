package io.minibit.peer.download;

import io.minibit.core.Bitfield;
import io.minibit.core.Validation;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.policy.Allocation.PeerSample;
import io.minibit.peer.policy.RarestFirstPicker;
import io.minibit.peer.policy.SeedChoice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Fills a peer's pipeline: the {@link Allocation} says how many blocks each peer may have in
 * flight, the {@link RarestFirstPicker} which ones, the download cap how many may go now; they go
 * out as GetBlocks calls of up to {@link #BLOCKS_PER_CALL} blocks, refilled a whole call at a
 * time. A second copy of a block (the endgame) goes in a call of its own; a seed is offered more
 * than it is to send, as {@link SeedChoice} says.
 *
 * <p>Not thread-safe: only its scheduler's loop touches it.
 */
final class RequestFiller {
  static final int BLOCKS_PER_CALL = 16;

  private final RarestFirstPicker picker;
  private final Allocation allocation;
  private final DownloadLimiter limiter;
  private final InFlightBook book;
  private final int blockSize;
  /** The allocation's last answer, and what it was computed from. */
  private Map<String, Integer> budgets = Map.of();
  private List<PeerSample> samples = List.of();
  /** The download cap held requests back since the last {@link #startRound}. */
  private boolean throttled;

  RequestFiller(RarestFirstPicker picker, Allocation allocation, DownloadLimiter limiter,
      InFlightBook book, int blockSize) {
    this.picker = picker;
    this.allocation = allocation;
    this.limiter = limiter;
    this.book = book;
    this.blockSize = blockSize;
  }

  /**
   * Computes every peer's budget again, from what is known of {@code peers} now, and tells the
   * picker whether they are all seeds (then blocks near the front of the file go first).
   */
  void allocate(Collection<RemotePeer> peers) {
    samples = samples(peers);
    budgets = allocation.budgets(samples, blockSize);
    picker.preferFront(onlySeeds(peers));
  }

  /** A round of refills begins: whether the cap holds requests back is asked afresh. */
  void startRound() {
    throttled = false;
  }

  /** Whether the download cap held requests back in this round (or the last one). */
  boolean isThrottled() {
    return throttled;
  }

  /** Starts as many GetBlocks calls on {@code peer} as its share of the pipeline allows. */
  void fill(RemotePeer peer) {
    if (!peer.isServing()) {
      return;
    }
    int budget = budgets.getOrDefault(peer.address, 1);
    IntPredicate allowed = allocation.allowedBlocks(peer.address, samples);
    // Refill by whole calls: a call per block would cost a round of headers, a deadline
    // timer and a picker scan for every block, which caps a fast pair's throughput.
    int batch = Math.min(BLOCKS_PER_CALL, Math.max(1, budget / 2));
    if (peer.inFlight > 0 && budget - peer.inFlight < batch) {
      return;
    }
    List<RemotePeer.Call> calls = new ArrayList<>();
    while (peer.inFlight < budget) {
      int room = Math.min(BLOCKS_PER_CALL, budget - peer.inFlight);
      int affordable = limiter.allowance(blockSize);
      if (affordable < room) {
        throttled = true;
        room = affordable;
        if (room == 0) {
          break;
        }
      }
      List<Integer> blocks = picker.pick(peer.has, room, peer.requested, allowed);
      if (blocks.isEmpty()) {
        break;
      }
      int before = peer.inFlight;
      if (peer.has.isComplete()) {
        blocks = withSeedsChoice(peer, blocks, room, allowed);
      }
      // A second copy of a block goes in a call of its own, so it can be cancelled alone
      // when the first copy arrives.
      List<Integer> firstCopies = new ArrayList<>();
      for (int index : blocks) {
        peer.requested.set(index);
        if (picker.requests(index) > 1) {
          calls.add(book.open(peer, List.of(index), 1));
          peer.inFlight++;
          room--;
        } else {
          firstCopies.add(index);
        }
      }
      if (!firstCopies.isEmpty()) {
        int limit = Math.min(firstCopies.size(), Math.max(1, room));
        calls.add(book.open(peer, firstCopies, limit));
        peer.inFlight += limit;
      }
      limiter.charge((long) (peer.inFlight - before) * blockSize);
    }
    if (calls.isEmpty()) {
      return;
    }
    Duration deadline = book.deadline(peer);
    for (RemotePeer.Call call : calls) {
      peer.link.fetch(peer.generation, call, deadline);
    }
  }

  /** {@code blocks} and the extras {@link SeedChoice} offers the seed {@code peer} with them. */
  private List<Integer> withSeedsChoice(RemotePeer peer, List<Integer> blocks, int room,
      IntPredicate allowed) {
    int extra = SeedChoice.extras(blocks.size(), room, Validation.MAX_BLOCKS_PER_CALL);
    if (extra == 0) {
      return blocks;
    }
    Bitfield skip = peer.requested.copy();
    blocks.forEach(skip::set);
    List<Integer> offered = new ArrayList<>(blocks);
    for (int index : picker.pick(peer.has, extra, skip, allowed)) {
      if (SeedChoice.offerable(picker.availability(index), picker.requests(index))) {
        offered.add(index);
      } else {
        picker.release(index);
      }
    }
    return offered;
  }

  /**
   * Whether every peer we are connected or connecting to is known to hold the whole file (and
   * there is one): a peer still connecting counts as a downloader until its bitfield comes.
   */
  private static boolean onlySeeds(Collection<RemotePeer> peers) {
    boolean any = false;
    for (RemotePeer peer : peers) {
      boolean active = peer.state == RemotePeer.State.ACTIVE;
      boolean seed = active && peer.has != null && peer.has.isComplete();
      if (peer.state == RemotePeer.State.CONNECTING || (active && !seed)) {
        return false;
      }
      any |= seed;
    }
    return any;
  }

  /** What the allocation needs to know of the peers we are connected or connecting to. */
  private static List<PeerSample> samples(Collection<RemotePeer> peers) {
    List<PeerSample> samples = new ArrayList<>(peers.size());
    for (RemotePeer peer : peers) {
      if (peer.state == RemotePeer.State.ACTIVE || peer.state == RemotePeer.State.CONNECTING) {
        samples.add(new PeerSample(peer.address, peer.rtt.millis(), peer.rate.bytesPerSecond(),
            peer.bytesReceived));
      }
    }
    return samples;
  }
}

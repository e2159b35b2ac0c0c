package io.minibit.peer.policy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The naive split the latency-weighted allocation is measured against: the blocks are dealt out
 * evenly (block b goes to the peer at position b mod n among the n peers, by name) and every
 * peer gets the same number of blocks in flight, however near or far it is.
 */
public final class EvenSplitAllocation implements Allocation {
  @Override
  public Map<String, Integer> budgets(List<PeerSample> peers, int blockSize) {
    int each =
        (int) Math.max(1, LatencyWeightedAllocation.INITIAL_PEER_IN_FLIGHT_BYTES / blockSize);
    Map<String, Integer> budgets = new HashMap<>();
    peers.forEach(p -> budgets.put(p.peer(), each));
    return budgets;
  }

  @Override
  public IntPredicate allowedBlocks(String peer, List<PeerSample> peers) {
    List<String> names = peers.stream().map(PeerSample::peer).sorted().toList();
    int position = names.indexOf(peer);
    int count = names.size();
    return position < 0 ? index -> false : index -> index % count == position;
  }
}

package io.minibit.peer.policy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Far peers get fewer blocks: each peer's share of the blocks in flight is inversely
 * proportional to its round-trip time until it has delivered enough data to be measured, and
 * proportional to its measured throughput from then on.
 *
 * <pre>
 *   r_i      = (1 / rtt_i) / sum_j (1 / rtt_j)              share by latency
 *   share_i  = r_i                                           before peer i is measured
 *            = R_m * thr_i / sum_{j measured} thr_j          once it is (1 MiB delivered)
 *              with R_m = sum_{j measured} r_j
 *   budget_i = clamp(round(share_i * B), 1, B_max)           blocks in flight
 * </pre>
 *
 * B is the download's whole in-flight budget ({@link #TOTAL_IN_FLIGHT_BYTES}, in blocks) and
 * B_max one peer's ({@link #MAX_PEER_IN_FLIGHT_BYTES}), sized so that one fast peer alone can
 * fill a fast link. Measured peers share among themselves, by throughput, the part that latency
 * gave them all, so measuring one peer never starves those still being measured. A peer whose
 * RTT is not known yet counts as having the median RTT of the others.
 */
public final class LatencyWeightedAllocation implements Allocation {
  /** Bytes a peer must deliver before its throughput steers its share. */
  public static final long MIN_MEASURED_BYTES = 1024 * 1024;
  public static final long TOTAL_IN_FLIGHT_BYTES = 24L * 1024 * 1024;
  public static final long MAX_PEER_IN_FLIGHT_BYTES = 8L * 1024 * 1024;
  private static final double DEFAULT_RTT_MILLIS = 1;

  @Override
  public Map<String, Integer> budgets(List<PeerSample> peers, int blockSize) {
    Map<String, Double> shares = shares(peers);
    int total = (int) Math.max(1, TOTAL_IN_FLIGHT_BYTES / blockSize);
    int perPeerMax = (int) Math.max(1, MAX_PEER_IN_FLIGHT_BYTES / blockSize);
    Map<String, Integer> budgets = new HashMap<>();
    shares.forEach((peer, share) ->
        budgets.put(peer, (int) Math.max(1, Math.min(perPeerMax, Math.round(share * total)))));
    return budgets;
  }

  /** Each peer's share of the blocks in flight, summing to 1. */
  public Map<String, Double> shares(List<PeerSample> peers) {
    Map<String, Double> byRtt = new HashMap<>();
    double fallbackRtt = medianKnownRtt(peers);
    double rttWeights = 0;
    for (PeerSample peer : peers) {
      double rtt = peer.rttMillis() > 0 ? peer.rttMillis() : fallbackRtt;
      double weight = 1 / Math.max(rtt, 0.05);
      byRtt.put(peer.peer(), weight);
      rttWeights += weight;
    }
    double measuredRttShare = 0;
    double measuredThroughput = 0;
    for (PeerSample peer : peers) {
      if (peer.measured()) {
        measuredRttShare += byRtt.get(peer.peer()) / rttWeights;
        measuredThroughput += peer.bytesPerSecond();
      }
    }
    Map<String, Double> shares = new HashMap<>();
    for (PeerSample peer : peers) {
      double rttShare = byRtt.get(peer.peer()) / rttWeights;
      shares.put(peer.peer(), peer.measured()
          ? measuredRttShare * peer.bytesPerSecond() / measuredThroughput
          : rttShare);
    }
    return shares;
  }

  private static double medianKnownRtt(List<PeerSample> peers) {
    double[] known = peers.stream().mapToDouble(PeerSample::rttMillis).filter(r -> r > 0)
        .sorted().toArray();
    return known.length == 0 ? DEFAULT_RTT_MILLIS : known[known.length / 2];
  }

  @Override
  public IntPredicate allowedBlocks(String peer, List<PeerSample> peers) {
    return index -> true;
  }
}

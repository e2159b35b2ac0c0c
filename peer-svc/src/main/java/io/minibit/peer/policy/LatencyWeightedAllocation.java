package io.minibit.peer.policy;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Far peers get fewer blocks. A peer's budget of bytes in flight starts inversely proportional
 * to its round-trip time; once the peer has delivered enough to be measured, its measured
 * throughput sets the budget instead, so whoever proves faster gets more.
 *
 * <pre>
 *   r_i      = (1 / rtt_i) / sum_j (1 / rtt_j)             latency share, sum of r_i = 1
 *   budget_i = n * r_i * B_0        before peer i is measured (B_0 each at equal latency)
 *            = max(2 blocks, thr_i * (rtt_i + H))   once it has delivered 1 MiB
 *   blocks_i = clamp(budget_i / block size, 1, B_max / block size)
 * </pre>
 *
 * with n peers, B_0 = {@link #INITIAL_PEER_IN_FLIGHT_BYTES}, H = {@link #HORIZON_SECONDS} and
 * B_max = {@link #MAX_PEER_IN_FLIGHT_BYTES}. A measured peer keeps its bandwidth-delay product in
 * flight, so no request waits on the previous one (with less, the budget would limit the peer to
 * budget / RTT, its measured rate would fall, and its budget with it), plus H seconds of its
 * throughput queued at its end. H is short, half a second: a block asked of a busy peer waits
 * behind the queue, while a block not asked yet can still go to whichever peer frees up first
 * (in a swarm of 8 capped leechers, half a second instead of one shortened the tail after the
 * seeder's last new block from 3.6 s to 3.1 s on average). A peer held back by its budget
 * delivers at budget / RTT, so its budget grows until the budget no longer limits it, as a TCP
 * window does. A peer whose
 * RTT is not known yet counts as having the median RTT of the others.
 */
public final class LatencyWeightedAllocation implements Allocation {
  /** Bytes a peer must deliver before its throughput steers its budget. */
  public static final long MIN_MEASURED_BYTES = 1024 * 1024;
  public static final long INITIAL_PEER_IN_FLIGHT_BYTES = 2L * 1024 * 1024;
  public static final long MAX_PEER_IN_FLIGHT_BYTES = 8L * 1024 * 1024;
  public static final double HORIZON_SECONDS = 0.5;
  /**
   * Blocks a measured peer keeps in flight at least: with a single block out, its link idles
   * for a round trip after every block, and its measured rate, so its budget, never grows.
   */
  public static final int MIN_MEASURED_BLOCKS = 2;
  private static final double DEFAULT_RTT_MILLIS = 1;

  @Override
  public Map<String, Integer> budgets(List<PeerSample> peers, int blockSize) {
    Map<String, Double> latencyShares = latencyShares(peers);
    int n = peers.size();
    long maxBlocks = Math.max(1, MAX_PEER_IN_FLIGHT_BYTES / blockSize);
    Map<String, Integer> budgets = new HashMap<>();
    for (PeerSample peer : peers) {
      double bytes = peer.measured()
          ? Math.max(MIN_MEASURED_BLOCKS * (double) blockSize,
              peer.bytesPerSecond() * (HORIZON_SECONDS + peer.rttMillis() / 1000))
          : n * latencyShares.get(peer.peer()) * INITIAL_PEER_IN_FLIGHT_BYTES;
      long blocks = Math.round(bytes / blockSize);
      budgets.put(peer.peer(), (int) Math.max(1, Math.min(maxBlocks, blocks)));
    }
    return budgets;
  }

  /** Each peer's share by latency alone, r_i above; the shares sum to 1. */
  public Map<String, Double> latencyShares(List<PeerSample> peers) {
    double fallbackRtt = medianKnownRtt(peers);
    Map<String, Double> weights = new HashMap<>();
    double total = 0;
    for (PeerSample peer : peers) {
      double rtt = peer.rttMillis() > 0 ? peer.rttMillis() : fallbackRtt;
      double weight = 1 / Math.max(rtt, 0.05);
      weights.put(peer.peer(), weight);
      total += weight;
    }
    double sum = total;
    weights.replaceAll((peer, weight) -> weight / sum);
    return weights;
  }

  private static double medianKnownRtt(List<PeerSample> peers) {
    double[] known = new double[peers.size()];
    int count = 0;
    for (PeerSample peer : peers) {
      if (peer.rttMillis() > 0) {
        known[count++] = peer.rttMillis();
      }
    }
    if (count == 0) {
      return DEFAULT_RTT_MILLIS;
    }
    Arrays.sort(known, 0, count);
    return known[count / 2];
  }

  @Override
  public IntPredicate allowedBlocks(String peer, List<PeerSample> peers) {
    return index -> true;
  }
}

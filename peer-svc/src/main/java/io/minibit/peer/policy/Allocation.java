package io.minibit.peer.policy;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * How a download spreads its requests over the peers that have what it needs: how many blocks
 * each peer may have in flight, and which blocks each may be asked for. Chosen by name
 * ({@code --allocation}). Pure: no I/O, no threads.
 */
public interface Allocation {
  /** What the download knows of one peer when it allocates. */
  record PeerSample(String peer, double rttMillis, double bytesPerSecond, long bytesReceived) {
    /** True once the peer has delivered enough for its throughput to be trusted. */
    public boolean measured() {
      return bytesReceived >= LatencyWeightedAllocation.MIN_MEASURED_BYTES && bytesPerSecond > 0;
    }
  }

  /** Blocks in flight allowed for each peer of {@code peers}, keyed by {@link PeerSample#peer}. */
  Map<String, Integer> budgets(List<PeerSample> peers, int blockSize);

  /** Which blocks {@code peer}, one of {@code peers}, may be asked for. */
  IntPredicate allowedBlocks(String peer, List<PeerSample> peers);

  /** The policy named {@code name}: "latency" (the default) or "even". */
  static Allocation named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "latency" -> new LatencyWeightedAllocation();
      case "even" -> new EvenSplitAllocation();
      default -> throw new IllegalArgumentException(
          "unknown allocation '" + name + "': use latency or even");
    };
  }
}

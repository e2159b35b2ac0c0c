package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.peer.policy.Allocation.PeerSample;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyWeightedAllocationTest {
  private static final int BLOCK = 256 * 1024;
  private final LatencyWeightedAllocation allocation = new LatencyWeightedAllocation();

  @Test
  void sharesAreInverselyProportionalToLatencyBeforeAnythingIsMeasured() {
    Map<String, Double> shares = allocation.shares(List.of(
        new PeerSample("near", 10, 0, 0),
        new PeerSample("far", 40, 0, 0)));
    assertEquals(0.8, shares.get("near"), 1e-9);
    assertEquals(0.2, shares.get("far"), 1e-9);
  }

  @Test
  void fartherPeersGetFewerBlocksInFlight() {
    Map<String, Integer> budgets = allocation.budgets(List.of(
        new PeerSample("near", 1, 0, 0),
        new PeerSample("mid", 20, 0, 0),
        new PeerSample("far", 100, 0, 0)), BLOCK);
    assertTrue(budgets.get("near") > budgets.get("mid"), budgets.toString());
    assertTrue(budgets.get("mid") >= budgets.get("far"), budgets.toString());
    assertTrue(budgets.get("far") >= 1, "every peer keeps at least one block in flight");
    assertTrue(budgets.get("near") <= LatencyWeightedAllocation.MAX_PEER_IN_FLIGHT_BYTES / BLOCK);
  }

  @Test
  void aSinglePeerGetsEnoughInFlightToFillAFastLink() {
    int budget = allocation.budgets(List.of(new PeerSample("only", 5, 0, 0)), BLOCK).get("only");
    assertEquals(LatencyWeightedAllocation.MAX_PEER_IN_FLIGHT_BYTES / BLOCK, budget);
  }

  @Test
  void measuredThroughputSteersTheShareOnceKnown() {
    long enough = LatencyWeightedAllocation.MIN_MEASURED_BYTES;
    // Same latency, but "b" turned out three times faster.
    Map<String, Double> shares = allocation.shares(List.of(
        new PeerSample("a", 10, 1_000_000, enough),
        new PeerSample("b", 10, 3_000_000, enough)));
    assertEquals(0.25, shares.get("a"), 1e-9);
    assertEquals(0.75, shares.get("b"), 1e-9);
  }

  @Test
  void measuringOnePeerDoesNotStarveTheOthers() {
    long enough = LatencyWeightedAllocation.MIN_MEASURED_BYTES;
    Map<String, Double> shares = allocation.shares(List.of(
        new PeerSample("measured", 10, 50_000_000, enough),
        new PeerSample("new", 10, 0, 0)));
    assertEquals(0.5, shares.get("new"), 1e-9, "the newcomer keeps its latency share");
    assertEquals(0.5, shares.get("measured"), 1e-9);
  }

  @Test
  void aPeerWithoutRttCountsAsTheMedian() {
    Map<String, Double> shares = allocation.shares(List.of(
        new PeerSample("a", 10, 0, 0),
        new PeerSample("b", 30, 0, 0),
        new PeerSample("unknown", 0, 0, 0)));
    assertEquals(shares.get("b"), shares.get("unknown"), 1e-9);
    assertEquals(1.0, shares.values().stream().mapToDouble(Double::doubleValue).sum(), 1e-9);
  }

  @Test
  void everyBlockIsAllowed() {
    assertTrue(allocation.allowedBlocks("a", List.of(new PeerSample("a", 1, 0, 0))).test(7));
  }
}

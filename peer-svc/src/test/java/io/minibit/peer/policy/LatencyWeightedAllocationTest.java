package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.peer.policy.Allocation.PeerSample;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyWeightedAllocationTest {
  private static final int BLOCK = 64 * 1024;
  private static final long MEASURED = LatencyWeightedAllocation.MIN_MEASURED_BYTES;
  private final LatencyWeightedAllocation allocation = new LatencyWeightedAllocation();

  private static int blocks(long bytes) {
    return (int) (bytes / BLOCK);
  }

  @Test
  void latencySharesAreInverselyProportionalToRtt() {
    Map<String, Double> shares = allocation.latencyShares(List.of(
        new PeerSample("near", 10, 0, 0),
        new PeerSample("far", 40, 0, 0)));
    assertEquals(0.8, shares.get("near"), 1e-9);
    assertEquals(0.2, shares.get("far"), 1e-9);
  }

  @Test
  void beforeMeasuringFarPeersGetFewerBlocksInFlight() {
    Map<String, Integer> budgets = allocation.budgets(List.of(
        new PeerSample("near", 10, 0, 0),
        new PeerSample("far", 40, 0, 0)), BLOCK);
    // n * r_i * B_0 in 64 KiB blocks: 2 * 0.8 * 2 MiB = 51.2, and 2 * 0.2 * 2 MiB = 12.8
    assertEquals(51, budgets.get("near"));
    assertEquals(13, budgets.get("far"));
  }

  @Test
  void peersAtEqualLatencyStartEqual() {
    Map<String, Integer> budgets = allocation.budgets(List.of(
        new PeerSample("a", 5, 0, 0), new PeerSample("b", 5, 0, 0),
        new PeerSample("c", 5, 0, 0)), BLOCK);
    int expected = blocks(LatencyWeightedAllocation.INITIAL_PEER_IN_FLIGHT_BYTES);
    assertEquals(Map.of("a", expected, "b", expected, "c", expected), budgets);
  }

  @Test
  void onceMeasuredAPeerKeepsHalfASecondOfItsThroughputInFlightBeyondItsRoundTrip() {
    Map<String, Integer> budgets = allocation.budgets(List.of(
        new PeerSample("slow", 10, 1024 * 1024, MEASURED),
        new PeerSample("fast", 10, 4 * 1024 * 1024, MEASURED)), BLOCK);
    // thr * (rtt + H) in 64 KiB blocks: 16 * 0.51 = 8.2, and 64 * 0.51 = 32.6
    assertEquals(8, budgets.get("slow"));
    assertEquals(33, budgets.get("fast"));
  }

  @Test
  void aFarPeerKeepsItsBandwidthDelayProductInFlight() {
    // 1 MiB/s over a 2 s round trip: with less than 2 MiB in flight it could not deliver
    // 1 MiB/s, its measured rate would fall, and its budget with it.
    Map<String, Integer> budgets = allocation.budgets(List.of(
        new PeerSample("near", 10, 1024 * 1024, MEASURED),
        new PeerSample("far", 2000, 1024 * 1024, MEASURED)), BLOCK);
    assertEquals(40, budgets.get("far"), "16 blocks a second, for 2.5 s");
    assertEquals(8, budgets.get("near"));
  }

  @Test
  void budgetsStayWithinTheirFloorsAndTheMaximum() {
    Map<String, Integer> budgets = allocation.budgets(List.of(
        new PeerSample("crawling", 10, 100, MEASURED),
        new PeerSample("racing", 1, 1e10, MEASURED),
        new PeerSample("very far", 100_000, 0, 0)), BLOCK);
    assertEquals(LatencyWeightedAllocation.MIN_MEASURED_BLOCKS, budgets.get("crawling"),
        "a measured peer keeps a floor in flight");
    assertEquals(1, budgets.get("very far"));
    assertEquals(blocks(LatencyWeightedAllocation.MAX_PEER_IN_FLIGHT_BYTES), budgets.get("racing"));
  }

  @Test
  void aPeerWithoutRttCountsAsTheMedian() {
    Map<String, Double> shares = allocation.latencyShares(List.of(
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

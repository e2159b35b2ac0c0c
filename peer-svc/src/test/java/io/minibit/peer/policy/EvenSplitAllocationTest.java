package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.peer.policy.Allocation.PeerSample;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class EvenSplitAllocationTest {
  private final List<PeerSample> peers = List.of(
      new PeerSample("b", 100, 0, 0), new PeerSample("a", 1, 0, 0));

  @Test
  void blocksAreDealtOutEvenlyWhateverTheLatency() {
    Allocation even = Allocation.named("even");
    IntPredicate a = even.allowedBlocks("a", peers);
    IntPredicate b = even.allowedBlocks("b", peers);
    for (int index = 0; index < 10; index++) {
      assertTrue(a.test(index) ^ b.test(index), "block " + index + " goes to exactly one peer");
    }
    assertTrue(a.test(0) && b.test(1));
    assertEquals(even.budgets(peers, 65536).get("a"), even.budgets(peers, 65536).get("b"));
    assertFalse(even.allowedBlocks("stranger", peers).test(0));
  }

  @Test
  void policiesAreChosenByName() {
    assertTrue(Allocation.named("LATENCY") instanceof LatencyWeightedAllocation);
    assertThrows(IllegalArgumentException.class, () -> Allocation.named("fastest"));
  }
}

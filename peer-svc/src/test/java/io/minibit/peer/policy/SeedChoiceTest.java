package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SeedChoiceTest {
  @Test
  void aSeedThatFilledItsRoomIsOfferedFourTimesItToChooseFrom() {
    assertEquals(3 * 16, SeedChoice.extras(16, 16, 64));
    assertEquals(64 - 20, SeedChoice.extras(20, 16, 64), "at most a call's worth in all");
  }

  @Test
  void noExtrasWhenThePickerFoundLessThanTheRoomOrTheCallIsFull() {
    assertEquals(0, SeedChoice.extras(5, 16, 64));
    assertEquals(0, SeedChoice.extras(64, 16, 64));
  }

  @Test
  void onlyBlocksTheSeedAloneHoldsAndNobodyElseIsAskedForAreOffered() {
    assertTrue(SeedChoice.offerable(1, 1));
    assertFalse(SeedChoice.offerable(2, 1), "another peer could send it");
    assertFalse(SeedChoice.offerable(1, 2), "already asked of another peer");
  }
}

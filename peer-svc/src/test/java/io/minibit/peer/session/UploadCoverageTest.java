package io.minibit.peer.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UploadCoverageTest {
  @Test
  void theFirstFullCopyIsReportedOnceWhenItsLastNewBlockGoesOut() {
    UploadCoverage coverage = new UploadCoverage(3);

    assertFalse(coverage.record(2));
    assertFalse(coverage.record(2), "a block sent again adds nothing");
    assertFalse(coverage.record(0));
    assertEquals(2, coverage.blocks());
    assertTrue(coverage.record(1), "the third distinct block completes the copy");
    assertFalse(coverage.record(1), "only once");
    assertEquals(3, coverage.blocks());
  }
}

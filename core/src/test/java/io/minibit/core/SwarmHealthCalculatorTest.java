package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.minibit.api.v2.SwarmHealth;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SwarmHealthCalculatorTest {
  @TempDir static Path dir;
  private static Torrent TORRENT;

  @BeforeAll
  static void fourBlocks() throws Exception {
    Path file = TestFiles.createFile(dir, "four.bin", 4 * Torrent.MIN_BLOCK_SIZE, 1);
    TORRENT = TestFiles.torrentFor(file, Torrent.MIN_BLOCK_SIZE);
  }

  private static Bitfield have(int... blocks) {
    Bitfield bitfield = new Bitfield(4);
    for (int b : blocks) {
      bitfield.set(b);
    }
    return bitfield;
  }

  @Test
  void nobodyMeansNoCopies() {
    SwarmHealth health = SwarmHealthCalculator.compute(TORRENT, List.of());
    assertEquals(List.of(0, 0, 0, 0), health.getAvailabilityList());
    assertEquals(0.0, health.getDistributedCopies());
  }

  @Test
  void leechersTogetherMakeACopy() {
    SwarmHealth health = SwarmHealthCalculator.compute(TORRENT, List.of(
        new SwarmHealthCalculator.Member("a", have(0, 1), 2, false, 0),
        new SwarmHealthCalculator.Member("b", have(1, 2, 3), 3, false, 1024)));
    assertEquals(List.of(1, 2, 1, 1), health.getAvailabilityList());
    assertEquals(1.25, health.getDistributedCopies());
    assertEquals(0, health.getSeeders());
    assertEquals(2, health.getLeechers());
    assertEquals(-1, health.getDownloads(0).getEtaMs());
    assertEquals(16_000, health.getDownloads(1).getEtaMs()); // 16 KiB left at 1 KiB/s
  }

  @Test
  void aSeederHoldsEveryBlockAndALeecherWithoutABitfieldNone() {
    SwarmHealth health = SwarmHealthCalculator.compute(TORRENT, List.of(
        new SwarmHealthCalculator.Member("s", null, 4, true, 0),
        new SwarmHealthCalculator.Member("l", null, 3, false, 0)));
    assertEquals(List.of(1, 1, 1, 1), health.getAvailabilityList());
    assertEquals(1.0, health.getDistributedCopies());
    assertEquals(1, health.getDownloadsCount());
  }
}

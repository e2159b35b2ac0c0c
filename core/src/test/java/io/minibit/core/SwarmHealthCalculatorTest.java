package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    SwarmHealthCalculator.Health health = SwarmHealthCalculator.compute(TORRENT, List.of());
    assertEquals(List.of(0, 0, 0, 0), health.availability());
    assertEquals(0.0, health.distributedCopies());
  }

  @Test
  void leechersTogetherMakeACopy() {
    SwarmHealthCalculator.Health health = SwarmHealthCalculator.compute(TORRENT, List.of(
        new SwarmHealthCalculator.Member("a", have(0, 1), 2, false, 0),
        new SwarmHealthCalculator.Member("b", have(1, 2, 3), 3, false, 1024)));
    assertEquals(List.of(1, 2, 1, 1), health.availability());
    assertEquals(1.25, health.distributedCopies());
    assertEquals(0, health.seeders());
    assertEquals(2, health.leechers());
    assertEquals(-1, health.downloads().get(0).etaMs());
    assertEquals(16_000, health.downloads().get(1).etaMs()); // 16 KiB left at 1 KiB/s
  }

  @Test
  void aSeederHoldsEveryBlockAndALeecherWithoutABitfieldNone() {
    SwarmHealthCalculator.Health health = SwarmHealthCalculator.compute(TORRENT, List.of(
        new SwarmHealthCalculator.Member("s", null, 4, true, 0),
        new SwarmHealthCalculator.Member("l", null, 3, false, 0)));
    assertEquals(List.of(1, 1, 1, 1), health.availability());
    assertEquals(1.0, health.distributedCopies());
    assertEquals(1, health.downloads().size());
  }
}

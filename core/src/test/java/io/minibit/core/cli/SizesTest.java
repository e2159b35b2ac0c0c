package io.minibit.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SizesTest {
  @Test
  void readsBinaryAndDecimalUnits() {
    assertEquals(1048576, Sizes.bytes("1048576"));
    assertEquals(512 * 1024, Sizes.bytes("512K"));
    assertEquals(512 * 1024, Sizes.bytes("512 KiB"));
    assertEquals(10L << 30, Sizes.bytes("10g"));
    assertEquals(3L << 39, Sizes.bytes("1.5TiB"));
    assertEquals(10_000_000_000L, Sizes.bytes("10GB"));
    assertEquals(0, Sizes.bytes("0"));
  }

  @Test
  void refusesWhatIsNotOne() {
    assertEquals("'lots' is not a size (1048576, 512K, 10G, 1.5TiB or 10GB)",
        assertThrows(IllegalArgumentException.class, () -> Sizes.bytes("lots")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Sizes.bytes("-1G"));
    assertThrows(IllegalArgumentException.class, () -> Sizes.bytes("9999999T"));
    assertEquals(5L << 20, new Sizes.Bytes().convert("5M"));
    assertThrows(CommandLine.TypeConversionException.class, () -> new Sizes.Bytes().convert("5X"));
  }
}

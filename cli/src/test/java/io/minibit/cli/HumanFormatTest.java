package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HumanFormatTest {
  @Test
  void bytesUseBinaryUnitsWithOneDecimal() {
    assertEquals("0 B", HumanFormat.bytes(0));
    assertEquals("1023 B", HumanFormat.bytes(1023));
    assertEquals("1.0 KiB", HumanFormat.bytes(1024));
    assertEquals("1.5 KiB", HumanFormat.bytes(1536));
    assertEquals("64.0 MiB", HumanFormat.bytes(64L * 1024 * 1024));
    assertEquals("1.2 GiB", HumanFormat.bytes(1_288_490_189L));
    assertEquals("8.0 EiB", HumanFormat.bytes(Long.MAX_VALUE));
  }

  @Test
  void bytesJustUnderAUnitRoundUpToThatUnit() {
    // 1048575 bytes is 1023.999 KiB: "1.0 MiB", not "1024.0 KiB".
    assertEquals("1.0 MiB", HumanFormat.bytes(1024 * 1024 - 1));
  }

  @Test
  void ratesUseDecimalMegabytesPerSecond() {
    assertEquals("12.3 MB/s", HumanFormat.rate(12_300_000));
    assertEquals("1.0 MB/s", HumanFormat.rate(999_999));
    assertEquals("512.0 kB/s", HumanFormat.rate(512_000));
    assertEquals("300 B/s", HumanFormat.rate(300));
    assertEquals("0 B/s", HumanFormat.rate(0));
    assertEquals("0 B/s", HumanFormat.rate(Double.NaN));
  }

  @Test
  void averageRateIsBytesOverTime() {
    assertEquals("10.0 MB/s", HumanFormat.averageRate(50_000_000, 5_000));
    assertEquals("0 B/s", HumanFormat.averageRate(50_000_000, 0));
  }

  @Test
  void durationsPickAReadableUnit() {
    assertEquals("850 ms", HumanFormat.duration(850));
    assertEquals("5.2 s", HumanFormat.duration(5_200));
    assertEquals("59.9 s", HumanFormat.duration(59_940));
    assertEquals("1m 00s", HumanFormat.duration(59_960));
    assertEquals("3m 05s", HumanFormat.duration(185_000));
    assertEquals("2h 03m", HumanFormat.duration((2 * 3600 + 3 * 60) * 1000L));
    assertEquals("0 ms", HumanFormat.duration(-5));
  }

  @Test
  void etaIsTimeLeftAtTheCurrentRate() {
    assertEquals("7s", HumanFormat.eta(70_000_000, 10_000_000));
    assertEquals("3m 05s", HumanFormat.eta(185_000_000, 1_000_000));
    assertEquals("0s", HumanFormat.eta(0, 0));
    assertEquals("--", HumanFormat.eta(1_000, 0));
    assertEquals("--", HumanFormat.eta(Long.MAX_VALUE, 1));
  }

  @Test
  void percentRoundsButNeverClaimsDoneEarly() {
    assertEquals("64.4%", HumanFormat.percent(412, 640));
    assertEquals("0.0%", HumanFormat.percent(0, 640));
    assertEquals("99.9%", HumanFormat.percent(9_999, 10_000));
    assertEquals("99.9%", HumanFormat.percent(99_999, 100_000));
    assertEquals("100.0%", HumanFormat.percent(640, 640));
    assertEquals("100.0%", HumanFormat.percent(0, 0));
  }

  @Test
  void shortHashIsTheFirstEightCharacters() {
    assertEquals("3f2a9c0d", HumanFormat.shortHash(Snapshots.INFOHASH));
    assertEquals("abc", HumanFormat.shortHash("abc"));
  }

  @Test
  void oneDecimalRoundsAsTheFormatterDoes() {
    // halves at every place, values that are not exact in binary, and random ones
    double[] fixed = {0, 0.05, 0.15, 0.25, 0.35, 0.45, 1.05, 1.15, 2.675, 12.25, 99.95, 1023.95,
        1023.949, 999.5, 0.049999, 1e-9, 123456789.05, 9.223372036854776E18};
    for (double value : fixed) {
      assertEquals(String.format(Locale.ROOT, "%.1f", value), HumanFormat.oneDecimal(value),
          "for " + value);
    }
    SplittableRandom random = new SplittableRandom(12);
    for (int i = 0; i < 20_000; i++) {
      double value = random.nextInt(4) == 0 ? random.nextInt(100_000) / 100.0
          : random.nextDouble() * Math.pow(10, random.nextInt(12));
      assertEquals(String.format(Locale.ROOT, "%.1f", value), HumanFormat.oneDecimal(value),
          "for " + value);
    }
  }
}

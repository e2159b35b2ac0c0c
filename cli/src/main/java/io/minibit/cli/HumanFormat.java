package io.minibit.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Numbers as a person reads them: sizes in binary units ("64.0 MiB"), rates in decimal
 * megabytes per second ("12.3 MB/s", as network speeds are quoted), durations and percentages.
 * Pure and locale-independent, so output is the same on every machine.
 */
final class HumanFormat {
  private static final String[] BINARY_UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private HumanFormat() {}

  /** "512 B", "1.5 KiB", "64.0 MiB". */
  static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = -1;
    // Switch unit when the rounded value would print as 1024.0 or more.
    while (value >= 1023.95 && unit < BINARY_UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return oneDecimal(value) + " " + BINARY_UNITS[unit];
  }

  /** "12.3 MB/s"; slow rates in kB/s and B/s so they do not all read "0.0 MB/s". */
  static String rate(double bytesPerSecond) {
    if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
      return "0 B/s";
    }
    if (bytesPerSecond >= 999_950) {
      return oneDecimal(bytesPerSecond / 1e6) + " MB/s";
    }
    if (bytesPerSecond >= 999.5) {
      return oneDecimal(bytesPerSecond / 1e3) + " kB/s";
    }
    return rounded(bytesPerSecond, 0) + " B/s";
  }

  /** Average rate of {@code bytes} over {@code millis}; "0 B/s" when no time has passed. */
  static String averageRate(long bytes, long millis) {
    return millis <= 0 ? "0 B/s" : rate(bytes * 1000.0 / millis);
  }

  /** An elapsed time: "850 ms", "5.2 s", "3m 05s", "2h 03m". */
  static String duration(long millis) {
    if (millis < 0) {
      millis = 0;
    }
    if (millis < 1000) {
      return millis + " ms";
    }
    if (millis < 59_950) {
      return oneDecimal(millis / 1000.0) + " s";
    }
    return wholeSeconds((millis + 500) / 1000);
  }

  /**
   * Time left to move {@code bytesLeft} at {@code bytesPerSecond}: "7s", "3m 05s", "2h 03m",
   * or "--" while the rate is unknown.
   */
  static String eta(long bytesLeft, double bytesPerSecond) {
    if (bytesLeft <= 0) {
      return "0s";
    }
    if (!(bytesPerSecond > 0)) {
      return "--";
    }
    double seconds = Math.ceil(bytesLeft / bytesPerSecond);
    // Beyond 100 days an estimate says nothing a person can use.
    if (seconds > 100 * 86_400.0) {
      return "--";
    }
    return wholeSeconds((long) seconds);
  }

  /**
   * {@code part} of {@code whole} with one decimal: "64.4%". Never "100.0%" before the part is
   * whole, so a progress line does not claim to be done while a block is missing.
   */
  static String percent(long part, long whole) {
    if (whole <= 0 || part >= whole) {
      return "100.0%";
    }
    double value = Math.max(0, part) * 100.0 / whole;
    return oneDecimal(Math.min(value, 99.9)) + "%";
  }

  /** The first 8 characters of an infohash, for tables; the full hash is in {@code torrents}. */
  static String shortHash(String infohash) {
    return infohash.length() <= 8 ? infohash : infohash.substring(0, 8);
  }

  /** Whole seconds as "45s", "3m 05s", "2h 03m" or, from two days on, "7d 00h". */
  static String wholeSeconds(long seconds) {
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return seconds / 60 + "m " + twoDigits(seconds % 60) + "s";
    }
    long minutes = (seconds + 30) / 60;
    if (minutes < 48 * 60) {
      return minutes / 60 + "h " + twoDigits(minutes % 60) + "m";
    }
    long hours = (minutes + 30) / 60;
    return hours / 24 + "d " + twoDigits(hours % 24) + "h";
  }

  /** {@code value} with one decimal, as {@link #rounded} spells it. */
  static String oneDecimal(double value) {
    return rounded(value, 1);
  }

  /**
   * {@code value} (finite, not negative) with {@code places} decimals, rounded half up as
   * "%.1f" (for one) rounds: from the shortest decimal that reads back as the same double.
   * Spelled out rather than formatted, which costs a short-lived command a formatter and its
   * parsing.
   */
  private static String rounded(double value, int places) {
    return new BigDecimal(Double.toString(value)).setScale(places, RoundingMode.HALF_UP)
        .toPlainString();
  }

  private static String twoDigits(long value) {
    return value < 10 ? "0" + value : Long.toString(value);
  }
}

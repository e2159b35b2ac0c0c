package io.minibit.cli;

import java.util.Locale;

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
    return String.format(Locale.ROOT, "%.1f %s", value, BINARY_UNITS[unit]);
  }

  /** "12.3 MB/s"; slow rates in kB/s and B/s so they do not all read "0.0 MB/s". */
  static String rate(double bytesPerSecond) {
    if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
      return "0 B/s";
    }
    if (bytesPerSecond >= 999_950) {
      return String.format(Locale.ROOT, "%.1f MB/s", bytesPerSecond / 1e6);
    }
    if (bytesPerSecond >= 999.5) {
      return String.format(Locale.ROOT, "%.1f kB/s", bytesPerSecond / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f B/s", bytesPerSecond);
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
      return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
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
    return String.format(Locale.ROOT, "%.1f%%", Math.min(value, 99.9));
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
      return String.format(Locale.ROOT, "%dm %02ds", seconds / 60, seconds % 60);
    }
    long minutes = (seconds + 30) / 60;
    if (minutes < 48 * 60) {
      return String.format(Locale.ROOT, "%dh %02dm", minutes / 60, minutes % 60);
    }
    long hours = (minutes + 30) / 60;
    return String.format(Locale.ROOT, "%dd %02dh", hours / 24, hours % 24);
  }
}

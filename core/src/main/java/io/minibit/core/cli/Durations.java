package io.minibit.core.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Durations as people write them, for the settings counted in seconds: {@code 30} (seconds),
 * {@code 30s}, {@code 500ms}, {@code 5m}, {@code 1h}, {@code 7d}, and fractions where a setting takes them
 * ({@code 0.5}, {@code 1.5s}). The same on the command line, in a variable and in a config file.
 */
public final class Durations {
  private static final Pattern DURATION =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)?");

  private Durations() {}

  /** {@code text} in seconds; IllegalArgumentException if it is not a duration. */
  public static double seconds(String text) {
    Matcher matcher = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (30, 30s, 500ms, 5m, 1h or 7d)");
    }
    double amount = Double.parseDouble(matcher.group(1));
    String unit = matcher.group(2) == null ? "s" : matcher.group(2);
    return switch (unit) {
      case "ms" -> amount / 1000;
      case "m" -> amount * 60;
      case "h" -> amount * 3600;
      case "d" -> amount * 86400;
      default -> amount;
    };
  }

  /** {@code text} in whole seconds; IllegalArgumentException if it is not, or not a duration. */
  public static long wholeSeconds(String text) {
    double seconds = seconds(text);
    if (seconds != Math.rint(seconds) || seconds > Long.MAX_VALUE) {
      throw new IllegalArgumentException("'" + text + "' is not a whole number of seconds");
    }
    return (long) seconds;
  }

  /** For a {@code long} option counted in whole seconds. */
  public static final class WholeSeconds implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return wholeSeconds(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** For a {@code double} option counted in seconds, fractions allowed. */
  public static final class Seconds implements CommandLine.ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
      try {
        return seconds(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}

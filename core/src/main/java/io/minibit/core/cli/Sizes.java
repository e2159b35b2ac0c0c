package io.minibit.core.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Sizes as people write them: {@code 1048576} (bytes), {@code 512K}, {@code 10G}, {@code 1.5TiB}
 * (K, M, G, T and KiB, MiB, GiB, TiB count in 1024s, as aria2 and most disk tools do), or
 * {@code 10GB} (KB, MB, GB, TB count in 1000s, as disk vendors do). The same on the command
 * line, in a variable and in a config file.
 */
public final class Sizes {
  private static final Pattern SIZE = Pattern.compile(
      "(\\d+(?:\\.\\d+)?)\\s*(b|k|kib|kb|m|mib|mb|g|gib|gb|t|tib|tb)?");

  private Sizes() {}

  /** {@code text} in bytes; IllegalArgumentException if it is not a size. */
  public static long bytes(String text) {
    Matcher matcher = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (1048576, 512K, 10G, 1.5TiB or 10GB)");
    }
    String unit = matcher.group(2) == null ? "b" : matcher.group(2);
    long multiplier = switch (unit) {
      case "k", "kib" -> 1L << 10;
      case "m", "mib" -> 1L << 20;
      case "g", "gib" -> 1L << 30;
      case "t", "tib" -> 1L << 40;
      case "kb" -> 1_000L;
      case "mb" -> 1_000_000L;
      case "gb" -> 1_000_000_000L;
      case "tb" -> 1_000_000_000_000L;
      default -> 1;
    };
    BigDecimal bytes = new BigDecimal(matcher.group(1)).multiply(BigDecimal.valueOf(multiplier));
    if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("'" + text + "' is larger than any disk");
    }
    return bytes.longValue();
  }

  /** For a {@code long} option counted in bytes. */
  public static final class Bytes implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return bytes(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}

package io.minibit.core.cli;

import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import picocli.CommandLine;

/** Reads a {@code --log-level}: java.util.logging names and the common aliases, in any case. */
public final class LogLevelConverter implements CommandLine.ITypeConverter<Level> {
  private static final Map<String, Level> ALIASES = Map.of(
      "DEBUG", Level.FINE, "TRACE", Level.FINEST, "WARN", Level.WARNING, "ERROR", Level.SEVERE);

  @Override
  public Level convert(String value) {
    String name = value.trim().toUpperCase(Locale.ROOT);
    Level alias = ALIASES.get(name);
    if (alias != null) {
      return alias;
    }
    try {
      return Level.parse(name);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a log level");
    }
  }
}

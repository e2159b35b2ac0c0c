package io.minibit.core.cli;

import io.minibit.core.Logging;
import picocli.CommandLine;

/** Reads a {@code --log-format}: {@code text} or {@code json}, in any case. */
public final class LogFormatConverter implements CommandLine.ITypeConverter<Logging.Format> {
  @Override
  public Logging.Format convert(String value) {
    try {
      return Logging.Format.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}

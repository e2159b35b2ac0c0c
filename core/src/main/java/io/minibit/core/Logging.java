package io.minibit.core;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One-line java.util.logging output on stderr for the daemons: time, level, logger, message. */
public final class Logging {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private Logging() {}

  /** Sends every record at {@code level} or above to stderr, one line each. */
  public static void configure(Level level) {
    Logger root = Logger.getLogger("");
    for (var handler : root.getHandlers()) {
      root.removeHandler(handler);
    }
    ConsoleHandler handler = new ConsoleHandler();
    handler.setLevel(level);
    handler.setFormatter(new OneLineFormatter());
    root.addHandler(handler);
    root.setLevel(level);
    // gRPC's transport logs at INFO about every connection hiccup; its warnings are enough.
    Logger.getLogger("io.grpc").setLevel(Level.WARNING);
  }

  private static final class OneLineFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
      String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
      String shortLogger = logger.substring(logger.lastIndexOf('.') + 1);
      StringBuilder line = new StringBuilder()
          .append(TIME.format(Instant.ofEpochMilli(record.getMillis()))).append(' ')
          .append(record.getLevel().getName()).append(' ')
          .append(shortLogger).append(": ")
          .append(formatMessage(record)).append(System.lineSeparator());
      if (record.getThrown() != null && record.getLevel().intValue() >= Level.SEVERE.intValue()) {
        var out = new java.io.StringWriter();
        record.getThrown().printStackTrace(new java.io.PrintWriter(out));
        line.append(out);
      } else if (record.getThrown() != null) {
        line.setLength(line.length() - System.lineSeparator().length());
        line.append(" (").append(record.getThrown()).append(')').append(System.lineSeparator());
      }
      return line.toString();
    }
  }
}

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

  /**
   * Held here because java.util.logging keeps loggers weakly: its filter would go with it. When
   * a peer cancels a GetBlocks call (another copy of the block came first, or it was choked)
   * while a block is on its way, gRPC logs a "Stream Error" WARNING; in a swarm that is routine.
   */
  private static final Logger NETTY_SERVER =
      Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");
  private static final String STREAM_RESET_BY_CALLER =
      "Stream closed before write could take place";

  private Logging() {}

  /** True for gRPC's record of a write to a stream its caller has just cancelled. */
  static boolean isRoutineStreamReset(LogRecord record) {
    for (Throwable cause = record.getThrown(); cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null && cause.getMessage().contains(STREAM_RESET_BY_CALLER)) {
        return true;
      }
    }
    return false;
  }

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
    NETTY_SERVER.setFilter(record -> !isRoutineStreamReset(record));
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

package io.minibit.core;

import com.google.gson.JsonObject;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * java.util.logging output on stderr for the daemons, one line per record: text (an ISO-8601 UTC
 * time, level, logger, message) or JSON (the same fields, with the trace and span of the call
 * being served when there is one, so a log line leads to its trace).
 */
public final class Logging {
  /** ISO-8601 in UTC, always to the millisecond, so every line's time has one width. */
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** How each record is written. */
  public enum Format {
    /** {@code 2026-12-04T13:49:02.123Z INFO PeerDaemon: message}. */
    TEXT,
    /** One JSON object per line: time, level, logger, thread, message, trace_id, span_id, error. */
    JSON;

    /** Reads {@code text} or {@code json}, in any case. */
    public static Format parse(String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "'" + value + "' is not a log format: use text or json", e);
      }
    }
  }

  /**
   * Held here because java.util.logging keeps loggers weakly: its filter would go with it. When
   * a peer cancels a GetBlocks call (another copy of the block came first, or it was choked)
   * while a block is on its way, gRPC logs a "Stream Error" WARNING; in a swarm that is routine.
   */
  private static final Logger NETTY_SERVER =
      Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");
  private static final String STREAM_RESET_BY_CALLER =
      "Stream closed before write could take place";

  /** The format {@link #configure} chose, for {@link #say}. */
  private static volatile Format format = Format.TEXT;

  private Logging() {}

  /**
   * Writes a daemon's own line to {@code out} (its start, where it listens, why it cannot start,
   * its stop): as it is in text logs; as a record of {@code level} in JSON logs, so that a log
   * collector reading JSON lines gets nothing else. Written directly, not through
   * java.util.logging, which drops its handlers in a shutdown hook of its own.
   */
  public static void say(Appendable out, Level level, String line) {
    String text = line;
    if (format == Format.JSON) {
      LogRecord record = new LogRecord(level, line);
      record.setLoggerName("minibit");
      text = new JsonFormatter().format(record).stripTrailing();
    }
    try {
      out.append(text).append(System.lineSeparator());
      if (out instanceof java.io.Flushable flushable) {
        flushable.flush();
      }
    } catch (java.io.IOException e) {
      // stderr is gone: nothing left to tell
    }
  }

  /** True for gRPC's record of a write to a stream its caller has just cancelled. */
  static boolean isRoutineStreamReset(LogRecord record) {
    for (Throwable cause = record.getThrown(); cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null && cause.getMessage().contains(STREAM_RESET_BY_CALLER)) {
        return true;
      }
    }
    return false;
  }

  /** Sends every record at {@code level} or above to stderr, one line of text each. */
  public static void configure(Level level) {
    configure(level, Format.TEXT);
  }

  /** Sends every record at {@code level} or above to stderr, one line each in {@code format}. */
  public static void configure(Level level, Format format) {
    Logging.format = format;
    Logger root = Logger.getLogger("");
    for (var handler : root.getHandlers()) {
      root.removeHandler(handler);
    }
    ConsoleHandler handler = new ConsoleHandler();
    handler.setLevel(level);
    handler.setFormatter(format == Format.JSON ? new JsonFormatter() : new OneLineFormatter());
    root.addHandler(handler);
    root.setLevel(level);
    // gRPC's transport logs at INFO about every connection hiccup; its warnings are enough.
    Logger.getLogger("io.grpc").setLevel(Level.WARNING);
    NETTY_SERVER.setFilter(record -> !isRoutineStreamReset(record));
  }

  private static String shortLogger(LogRecord record) {
    String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
    return logger.substring(logger.lastIndexOf('.') + 1);
  }

  private static String stackTrace(Throwable thrown) {
    StringWriter out = new StringWriter();
    thrown.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  static final class OneLineFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
      StringBuilder line = new StringBuilder()
          .append(TIME.format(record.getInstant())).append(' ')
          .append(record.getLevel().getName()).append(' ')
          .append(shortLogger(record)).append(": ")
          .append(formatMessage(record)).append(System.lineSeparator());
      if (record.getThrown() != null && record.getLevel().intValue() >= Level.SEVERE.intValue()) {
        line.append(stackTrace(record.getThrown()));
      } else if (record.getThrown() != null) {
        line.setLength(line.length() - System.lineSeparator().length());
        line.append(" (").append(record.getThrown()).append(')').append(System.lineSeparator());
      }
      return line.toString();
    }
  }

  /**
   * One JSON object per line, for a log collector. The trace and span ids are those of the span
   * current on the logging thread: the call or the download the record was written for.
   */
  static final class JsonFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
      JsonObject line = new JsonObject();
      line.addProperty("time", TIME.format(record.getInstant()));
      line.addProperty("level", record.getLevel().getName());
      line.addProperty("logger", record.getLoggerName() == null ? "" : record.getLoggerName());
      line.addProperty("thread", Thread.currentThread().getName());
      line.addProperty("message", formatMessage(record));
      SpanContext span = Span.current().getSpanContext();
      if (span.isValid()) {
        line.addProperty("trace_id", span.getTraceId());
        line.addProperty("span_id", span.getSpanId());
      }
      if (record.getThrown() != null) {
        line.addProperty("error", record.getThrown().toString());
        if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
          line.addProperty("stack_trace", stackTrace(record.getThrown()));
        }
      }
      return line + System.lineSeparator();
    }
  }
}

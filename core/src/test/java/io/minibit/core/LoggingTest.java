package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LoggingTest {
  private static LogRecord warning(Throwable thrown) {
    LogRecord record = new LogRecord(Level.WARNING, "Stream Error");
    record.setThrown(thrown);
    return record;
  }

  @Test
  void aWriteToAStreamItsCallerCancelledIsNotWarnedAbout() {
    Logging.configure(Level.INFO);
    Logger netty = Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");
    assertFalse(netty.getFilter().isLoggable(warning(new IllegalStateException(
        "wrapped", new RuntimeException("Stream closed before write could take place")))));
  }

  @Test
  void otherStreamErrorsStillAre() {
    Logging.configure(Level.INFO);
    Logger netty = Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");
    assertTrue(netty.getFilter().isLoggable(warning(new RuntimeException(
        "Received DATA frame for an unknown stream"))));
    assertTrue(netty.getFilter().isLoggable(new LogRecord(Level.WARNING, "no exception")));
  }

  private static LogRecord record(Level level, String message, Throwable thrown) {
    LogRecord record = new LogRecord(level, message);
    record.setLoggerName("io.minibit.peer.PeerDaemon");
    record.setInstant(Instant.parse("2026-12-04T13:49:02.120Z"));
    record.setThrown(thrown);
    return record;
  }

  @Test
  void aTextLineStartsWithAnIsoTimeInUtc() {
    String line = new Logging.OneLineFormatter().format(record(Level.INFO, "sharing x", null));
    assertEquals("2026-12-04T13:49:02.120Z INFO PeerDaemon: sharing x" + System.lineSeparator(),
        line);
  }

  @Test
  void aJsonLineCarriesTheTraceAndSpanOfItsCall() {
    SpanContext call = SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
        TraceFlags.getSampled(), TraceState.getDefault());
    String line;
    try (Scope scope = Span.wrap(call).makeCurrent()) {
      line = new Logging.JsonFormatter().format(record(Level.WARNING, "peer p banned",
          new IllegalStateException("3 bad blocks")));
    }

    assertTrue(line.endsWith(System.lineSeparator()) && line.indexOf('\n') == line.length() - 1,
        "one line: " + line);
    JsonObject json = JsonParser.parseString(line).getAsJsonObject();
    assertEquals("2026-12-04T13:49:02.120Z", json.get("time").getAsString());
    assertEquals("WARNING", json.get("level").getAsString());
    assertEquals("io.minibit.peer.PeerDaemon", json.get("logger").getAsString());
    assertEquals("peer p banned", json.get("message").getAsString());
    assertEquals("0af7651916cd43dd8448eb211c80319c", json.get("trace_id").getAsString());
    assertEquals("b7ad6b7169203331", json.get("span_id").getAsString());
    assertEquals("java.lang.IllegalStateException: 3 bad blocks", json.get("error").getAsString());
    assertFalse(json.has("stack_trace"), "a stack only for SEVERE");
  }

  @Test
  void aJsonLineOutsideAnyCallHasNoTraceIds() {
    JsonObject json = JsonParser.parseString(
        new Logging.JsonFormatter().format(record(Level.INFO, "x", null))).getAsJsonObject();
    assertFalse(json.has("trace_id"));
    assertFalse(json.has("span_id"));
  }

  @Test
  void formatsAreReadInAnyCaseAndOthersRefusedByName() {
    assertEquals(Logging.Format.JSON, Logging.Format.parse(" Json"));
    assertEquals(Logging.Format.TEXT, Logging.Format.parse("text"));
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> Logging.Format.parse("xml"));
    assertEquals("'xml' is not a log format: use text or json", refused.getMessage());
  }
}

package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}

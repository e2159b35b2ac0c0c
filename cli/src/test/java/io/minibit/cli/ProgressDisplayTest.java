package io.minibit.cli;

import io.minibit.core.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final MutableClock clock = new MutableClock();

  private String written() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void plainOutputPrintsAtMostOneLinePerSecond() {
    ProgressDisplay display = new ProgressDisplay(err, false, clock);

    display.update(Snapshots.downloading(64));
    clock.advance(Duration.ofMillis(500));
    display.update(Snapshots.downloading(128));
    clock.advance(Duration.ofMillis(500));
    display.update(Snapshots.downloading(192));
    display.finish();

    assertEquals(2, written().lines().count(), written());
    assertTrue(written().contains("10.0%"), written());
    assertFalse(written().contains("20.0%"), "throttled away: " + written());
    assertTrue(written().contains("30.0%"), written());
    assertFalse(written().contains("\r"), written());
  }

  @Test
  void terminalOutputRedrawsOneLineAndEndsItOnFinish() {
    ProgressDisplay display = new ProgressDisplay(err, true, clock);

    display.update(Snapshots.downloading(64).toBuilder().setError("a long stall reason").build());
    display.update(Snapshots.downloading(128));
    display.finish();

    String first = TransferText.progressLine(
        Snapshots.downloading(64).toBuilder().setError("a long stall reason").build());
    String second = TransferText.progressLine(Snapshots.downloading(128));
    // The shorter second line is padded so no tail of the first stays on screen.
    assertEquals("\r" + first + "\r" + second + " ".repeat(first.length() - second.length())
        + System.lineSeparator(), written());
  }

  @Test
  void finishWithoutAnyProgressPrintsNothing() {
    new ProgressDisplay(err, true, clock).finish();

    assertEquals("", written());
  }
}

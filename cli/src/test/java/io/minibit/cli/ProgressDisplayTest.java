package io.minibit.cli;

import io.minibit.core.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Duration;
import java.util.List;
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

    String first = ProgressDisplay.terminalLine(
        Snapshots.downloading(64).toBuilder().setError("a long stall reason").build());
    String second = ProgressDisplay.terminalLine(Snapshots.downloading(128));
    assertTrue(second.startsWith("[####--------------------]  big.iso  20.0%"), second);
    // The shorter second line is padded so no tail of the first stays on screen.
    assertEquals("\r" + first + "\r" + second + " ".repeat(first.length() - second.length())
        + System.lineSeparator(), written());
  }

  @Test
  void jsonPrintsEverySnapshotAsOneLine() {
    ProgressDisplay display = ProgressDisplay.json(err);

    display.update(Snapshots.downloading(64));
    display.update(Snapshots.downloading(128));
    display.finish();

    List<String> lines = written().lines().toList();
    assertEquals(2, lines.size(), written());
    JsonObject second = JsonParser.parseString(lines.get(1)).getAsJsonObject();
    assertEquals(128, second.get("blocksHave").getAsInt());
    assertEquals(Snapshots.INFOHASH, second.get("infohash").getAsString());
    assertEquals("TRANSFER_STATE_DOWNLOADING", second.get("state").getAsString());
  }

  @Test
  void finishWithoutAnyProgressPrintsNothing() {
    new ProgressDisplay(err, true, clock).finish();

    assertEquals("", written());
  }
}

package io.minibit.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationsTest {
  @Test
  void readsTheUsualUnits() {
    assertEquals(30, Durations.seconds("30"));
    assertEquals(30, Durations.seconds("30s"));
    assertEquals(0.5, Durations.seconds("500ms"));
    assertEquals(1.5, Durations.seconds("1.5"));
    assertEquals(300, Durations.seconds(" 5m "));
    assertEquals(7200, Durations.seconds("2H"));
    assertEquals(120, Durations.wholeSeconds("2m"));
    assertEquals(7 * 86400, Durations.wholeSeconds("7d"));
  }

  @Test
  void refusesWhatIsNotOne() {
    assertEquals("'soon' is not a duration (30, 30s, 500ms, 5m, 1h or 7d)",
        assertThrows(IllegalArgumentException.class, () -> Durations.seconds("soon"))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> Durations.seconds("-5s"));
    assertEquals("'1500ms' is not a whole number of seconds",
        assertThrows(IllegalArgumentException.class, () -> Durations.wholeSeconds("1500ms"))
            .getMessage());
    assertThrows(CommandLine.TypeConversionException.class,
        () -> new Durations.WholeSeconds().convert("1.5s"));
  }
}

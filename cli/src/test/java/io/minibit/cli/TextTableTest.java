package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {
  @Test
  void padsColumnsToTheWidestCellAndAlignsNumbersRight() {
    TextTable table = TextTable.withHeaders(
        List.of("NAME", "SIZE"), List.of(TextTable.Align.LEFT, TextTable.Align.RIGHT));
    table.row("a.iso", "1.0 KiB").row("much-longer.bin", "12 B");

    assertEquals(List.of(
        "NAME                SIZE",
        "a.iso            1.0 KiB",
        "much-longer.bin     12 B"), table.lines());
  }

  @Test
  void wideAndCombiningCharactersLineUpInTerminalColumns() {
    TextTable table = TextTable.withHeaders(
        List.of("NAME", "SIZE"), List.of(TextTable.Align.LEFT, TextTable.Align.RIGHT));
    table.row("映画.mkv", "1 B")        // two wide characters: 4 columns, then 4
        .row("caf\u0065\u0301.txt", "2 B") // e and a combining acute: 8 columns
        .row("🎬.bin", "3 B")           // an emoji: 2 columns, then 4
        .row("plain.txt", "4 B");

    assertEquals(List.of(
        "NAME       SIZE",
        "映画.mkv    1 B",
        "cafe\u0301.txt    2 B",
        "🎬.bin      3 B",
        "plain.txt   4 B"), table.lines());
    assertEquals(8, TextTable.columns("映画.mkv"));
    assertEquals(8, TextTable.columns("cafe\u0301.txt"));
    assertEquals(6, TextTable.columns("🎬.bin"));
  }

  @Test
  void leavesNoTrailingSpaces() {
    TextTable table = TextTable.of(TextTable.Align.LEFT, TextTable.Align.LEFT);
    table.row("x", "").row("longer", "y");

    assertEquals(List.of("x", "longer  y"), table.lines());
  }

  @Test
  void rejectsARowOfTheWrongWidth() {
    TextTable table = TextTable.of(TextTable.Align.LEFT, TextTable.Align.LEFT);

    assertThrows(IllegalArgumentException.class, () -> table.row("only one"));
  }
}

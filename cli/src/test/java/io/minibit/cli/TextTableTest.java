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

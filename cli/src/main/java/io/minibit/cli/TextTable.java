package io.minibit.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table: columns padded to their widest cell, two spaces apart, numbers aligned
 * right. Widths are counted in terminal columns, so names in CJK scripts or with emoji (two
 * columns a character) and with combining marks (none) still line up. Renders to lines so a
 * caller can put detail lines between rows. Not thread-safe.
 */
final class TextTable {
  /** How a column's cells line up. */
  enum Align { LEFT, RIGHT }

  private final List<String> headers;
  private final List<Align> aligns;
  private final List<List<String>> rows = new ArrayList<>();

  private TextTable(List<String> headers, List<Align> aligns) {
    this.headers = headers;
    this.aligns = aligns;
  }

  /** A table without a header line. */
  static TextTable of(Align... aligns) {
    return new TextTable(null, List.of(aligns));
  }

  /** A table whose columns are named by {@code headers}, each aligned by {@code aligns}. */
  static TextTable withHeaders(List<String> headers, List<Align> aligns) {
    if (headers.size() != aligns.size()) {
      throw new IllegalArgumentException("one alignment per header");
    }
    return new TextTable(List.copyOf(headers), List.copyOf(aligns));
  }

  TextTable row(String... cells) {
    if (cells.length != aligns.size()) {
      throw new IllegalArgumentException(
          "row has " + cells.length + " cells, table has " + aligns.size() + " columns");
    }
    rows.add(List.of(cells));
    return this;
  }

  /** The header line, if any, then one line per row, each without trailing spaces. */
  List<String> lines() {
    int[] widths = new int[aligns.size()];
    List<List<String>> all = new ArrayList<>();
    if (headers != null) {
      all.add(headers);
    }
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], columns(row.get(i)));
      }
    }
    List<String> lines = new ArrayList<>(all.size());
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < widths.length; i++) {
        if (i > 0) {
          line.append("  ");
        }
        String cell = row.get(i);
        String pad = " ".repeat(widths[i] - columns(cell));
        line.append(aligns.get(i) == Align.RIGHT ? pad + cell : cell + pad);
      }
      lines.add(line.toString().stripTrailing());
    }
    return lines;
  }

  /** The terminal columns {@code text} takes: two for a wide character, none for a mark. */
  static int columns(String text) {
    int columns = 0;
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      columns += columnsOf(c);
    }
    return columns;
  }

  private static int columnsOf(int c) {
    int type = Character.getType(c);
    if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
        || type == Character.FORMAT || c == 0x200B) {
      return 0; // combining accents, zero-width joiners and spaces, variation selectors
    }
    return isWide(c) ? 2 : 1;
  }

  /** East Asian wide and fullwidth characters, and emoji presented as pictures. */
  private static boolean isWide(int c) {
    return (c >= 0x1100 && c <= 0x115F) // Hangul Jamo leading consonants
        || (c >= 0x2E80 && c <= 0x303E) // CJK radicals, Kangxi, CJK symbols and punctuation
        || (c >= 0x3041 && c <= 0x33FF) // Hiragana, Katakana, Bopomofo, CJK compatibility
        || (c >= 0x3400 && c <= 0x4DBF) // CJK extension A
        || (c >= 0x4E00 && c <= 0x9FFF) // CJK unified ideographs
        || (c >= 0xA000 && c <= 0xA4CF) // Yi
        || (c >= 0xAC00 && c <= 0xD7A3) // Hangul syllables
        || (c >= 0xF900 && c <= 0xFAFF) // CJK compatibility ideographs
        || (c >= 0xFE30 && c <= 0xFE4F) // CJK compatibility forms
        || (c >= 0xFF00 && c <= 0xFF60) // fullwidth forms
        || (c >= 0xFFE0 && c <= 0xFFE6)
        || (c >= 0x1F300 && c <= 0x1F64F) // pictographs, emoticons
        || (c >= 0x1F900 && c <= 0x1F9FF) // supplemental symbols and pictographs
        || (c >= 0x20000 && c <= 0x3FFFD); // CJK extensions B and on
  }
}

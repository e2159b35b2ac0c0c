package io.minibit.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table: columns padded to their widest cell, two spaces apart, numbers aligned
 * right. Renders to lines so a caller can put detail lines between rows. Not thread-safe.
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
        widths[i] = Math.max(widths[i], row.get(i).length());
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
        String pad = " ".repeat(widths[i] - cell.length());
        line.append(aligns.get(i) == Align.RIGHT ? pad + cell : cell + pad);
      }
      lines.add(line.toString().stripTrailing());
    }
    return lines;
  }
}

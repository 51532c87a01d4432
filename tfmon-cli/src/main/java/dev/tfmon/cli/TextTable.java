package dev.tfmon.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with left-aligned text columns and right-aligned number columns.
 *
 * <pre>{@code
 * TextTable t = new TextTable("name", "dtype").rightAligned(2);
 * t.row("w", "float32");
 * System.out.print(t.render());
 * }</pre>
 */
final class TextTable {
  private final String[] header;
  private final boolean[] right;
  private final List<String[]> rows = new ArrayList<>();

  TextTable(String... header) {
    this.header = header.clone();
    this.right = new boolean[header.length];
  }

  /** Right-aligns the given columns (numbers). */
  TextTable rightAligned(int... columns) {
    for (int c : columns) {
      right[c] = true;
    }
    return this;
  }

  TextTable row(Object... cells) {
    if (cells.length != header.length) {
      throw new IllegalArgumentException(
          "expected " + header.length + " cells, but got " + cells.length);
    }
    String[] r = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      r[i] = String.valueOf(cells[i]);
    }
    rows.add(r);
    return this;
  }

  String render() {
    int[] width = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
      for (String[] r : rows) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    line(out, header, width);
    for (String[] r : rows) {
      line(out, r, width);
    }
    return out.toString();
  }

  private void line(StringBuilder out, String[] cells, int[] width) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        line.append("  ");
      }
      String pad = " ".repeat(width[i] - cells[i].length());
      line.append(right[i] ? pad + cells[i] : cells[i] + (i == cells.length - 1 ? "" : pad));
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }
}

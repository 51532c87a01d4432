package dev.tfmon.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A numeric CSV file with a header line: comma-separated, every value a number. Errors name the
 * file, the line and the column.
 *
 * <pre>{@code
 * CsvTable t = CsvTable.read(Path.of("data.csv"));
 * int y = t.columnIndex("y", "--label-column");
 * }</pre>
 *
 * @param file where it was read from
 * @param header the column names
 * @param rows the values, one array per data line
 */
record CsvTable(Path file, List<String> header, List<double[]> rows) {

  /**
   * Reads {@code file}.
   *
   * @throws CliException usage error if the file is missing or unreadable; failure if it is empty,
   *     has a duplicate column, a row with another number of fields or a value that is not a number
   */
  static CsvTable read(Path file) {
    InputPaths.readableFile("--data", file);
    List<String> header = null;
    List<double[]> rows = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String[] fields = line.split(",", -1);
        if (header == null) {
          header = new ArrayList<>();
          for (String f : fields) {
            String name = f.strip();
            if (header.contains(name)) {
              throw CliException.failure(file + " line " + lineNo + ": column '" + name + "' appears twice in the header");
            }
            header.add(name);
          }
          continue;
        }
        if (fields.length != header.size()) {
          throw CliException.failure(
              file + " line " + lineNo + ": expected " + header.size() + " fields (" + String.join(",", header)
                  + "), but got " + fields.length);
        }
        double[] row = new double[fields.length];
        for (int c = 0; c < fields.length; c++) {
          String v = fields[c].strip();
          try {
            row[c] = Double.parseDouble(v);
          } catch (NumberFormatException e) {
            row[c] = Double.NaN;
          }
          if (Double.isNaN(row[c]) || Double.isInfinite(row[c])) {
            throw CliException.failure(
                file + " line " + lineNo + ", column " + (c + 1) + " '" + header.get(c) + "': expected a number, but got '"
                    + v + "'");
          }
        }
        rows.add(row);
      }
    } catch (IOException e) {
      throw CliException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (header == null || rows.isEmpty()) {
      throw CliException.failure(file + ": expected a header line and at least one data line, but the file has "
          + (header == null ? "neither" : "no data line"));
    }
    return new CsvTable(file, List.copyOf(header), rows);
  }

  /** The index of column {@code name}, or a usage error naming {@code option} and the columns. */
  int columnIndex(String name, String option) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw CliException.usage(
          option + " '" + name + "' is not a column of " + file + "; columns: " + header);
    }
    return i;
  }

  @Override
  public String toString() {
    return file + " " + header + " × " + rows.size() + " rows";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CsvTable t && t.file.equals(file) && t.header.equals(header)
        && rows.size() == t.rows.size() && java.util.stream.IntStream.range(0, rows.size())
            .allMatch(i -> Arrays.equals(rows.get(i), t.rows.get(i)));
  }

  @Override
  public int hashCode() {
    return file.hashCode() * 31 + header.hashCode();
  }
}

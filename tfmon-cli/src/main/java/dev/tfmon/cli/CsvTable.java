package dev.tfmon.cli;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A numeric CSV file with a header line, read with Apache Commons CSV: RFC 4180 quoting ({@code
 * "feat a"}), a UTF-8 byte-order mark, CRLF or LF line ends, blank lines skipped. Every value must
 * be a number. Errors name the file, the line and the column.
 *
 * <pre>{@code
 * CsvTable t = CsvTable.read(Path.of("data.csv"));
 * int y = t.columnIndex("y", "--label-column");
 * }</pre>
 *
 * @param file where it was read from
 * @param header the column names
 * @param rows the values, one array per data line
 * @param lines the line number of each row in the file (1 = the first line)
 */
record CsvTable(Path file, List<String> header, List<double[]> rows, int[] lines) {

  /**
   * Reads {@code file}.
   *
   * @throws CliException usage error if the file is missing or unreadable; failure if it is not
   *     UTF-8, is empty, has a duplicate column, a row with another number of fields, bad quoting
   *     or a value that is not a number
   */
  static CsvTable read(Path file) {
    InputPaths.readableFile("--data", file);
    String text = decode(file);
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    if (!text.endsWith("\n")) {
      // each record then ends with a line break, so the parser's line count is the record's line
      text = text + "\n";
    }
    List<String> header = null;
    List<double[]> rows = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    CSVFormat format = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();
    try (CSVParser parser = CSVParser.parse(new StringReader(text), format)) {
      for (CSVRecord record : parser) {
        int line = (int) parser.getCurrentLineNumber();
        if (header == null) {
          header = new ArrayList<>();
          for (String f : record) {
            String name = f.strip();
            if (header.contains(name)) {
              throw CliException.failure(file + " line " + line + ": column '" + name + "' appears twice in the header");
            }
            header.add(name);
          }
          continue;
        }
        if (record.size() != header.size()) {
          throw CliException.failure(
              file + " line " + line + ": expected " + header.size() + " fields (" + String.join(",", header)
                  + "), but got " + record.size());
        }
        double[] row = new double[record.size()];
        for (int c = 0; c < row.length; c++) {
          String v = record.get(c).strip();
          try {
            row[c] = Double.parseDouble(v);
          } catch (NumberFormatException e) {
            row[c] = Double.NaN;
          }
          if (Double.isNaN(row[c]) || Double.isInfinite(row[c])) {
            throw CliException.failure(
                file + " line " + line + ", column " + (c + 1) + " '" + header.get(c) + "': expected a number, but got '"
                    + abbreviate(v) + "'");
          }
        }
        rows.add(row);
        lines.add(line);
      }
    } catch (UncheckedIOException | IOException e) {
      // Commons CSV reports bad quoting as an IOException naming the line.
      String message = e instanceof UncheckedIOException u && u.getCause() != null ? u.getCause().getMessage() : e.getMessage();
      throw CliException.failure(file + ": not a valid CSV file: " + message, e);
    }
    if (header == null || rows.isEmpty()) {
      throw CliException.failure(file + ": expected a header line and at least one data line, but the file has "
          + (header == null ? "neither" : "no data line"));
    }
    return new CsvTable(file, List.copyOf(header), rows, lines.stream().mapToInt(Integer::intValue).toArray());
  }

  /** The file as UTF-8 text; a byte that is not UTF-8 fails naming its line. */
  private static String decode(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw CliException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1);
    CoderResult result = decoder.decode(in, out, true);
    if (result.isError()) {
      int at = in.position();
      int line = 1;
      for (int i = 0; i < at; i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      throw CliException.failure(String.format(Locale.ROOT,
          "%s line %d: byte 0x%s is not UTF-8; tfmon reads CSV files as UTF-8 (convert it, e.g. iconv -f latin1 -t utf-8)",
          file, line, HexFormat.of().toHexDigits(bytes[at])));
    }
    decoder.flush(out);
    out.flip();
    return out.toString();
  }

  private static String abbreviate(String v) {
    return v.length() <= 40 ? v : v.substring(0, 40) + "...";
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

  /**
   * Whether column {@code c} counts the rows, as the index column pandas writes by default:
   * 0, 1, 2, ... or 1, 2, 3, ... down the file (at least three rows).
   */
  boolean looksLikeRowIndex(int c) {
    if (rows.size() < 3) {
      return false;
    }
    double first = rows.get(0)[c];
    if (first != 0 && first != 1) {
      return false;
    }
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i)[c] != first + i) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return file + " " + header + " × " + rows.size() + " rows";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CsvTable t && t.file.equals(file) && t.header.equals(header)
        && rows.size() == t.rows.size() && Arrays.equals(lines, t.lines)
        && IntStream.range(0, rows.size()).allMatch(i -> Arrays.equals(rows.get(i), t.rows.get(i)));
  }

  @Override
  public int hashCode() {
    return file.hashCode() * 31 + header.hashCode();
  }
}

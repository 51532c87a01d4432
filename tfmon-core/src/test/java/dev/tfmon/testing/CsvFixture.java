package dev.tfmon.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows of a small comma-separated fixture on the test classpath (a header line, then values
 * without quotes or embedded commas), as written by the Python scripts next to them.
 */
public final class CsvFixture {
  private CsvFixture() {}

  /** Each row as column name to text, in file order. */
  public static List<Map<String, String>> read(String resource) {
    InputStream in = CsvFixture.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException("no test resource " + resource);
    }
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String[] header = r.readLine().split(",", -1);
      List<Map<String, String>> rows = new ArrayList<>();
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isEmpty()) {
          continue;
        }
        String[] cells = line.split(",", -1);
        if (cells.length != header.length) {
          throw new IllegalStateException(resource + ": expected " + header.length + " cells in " + line);
        }
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < header.length; i++) {
          row.put(header[i], cells[i]);
        }
        rows.add(row);
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

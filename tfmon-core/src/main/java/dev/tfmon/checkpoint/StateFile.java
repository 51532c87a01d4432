package dev.tfmon.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Protobuf text format for the four fields of {@code CheckpointState}, written and parsed by hand
 * because no generated class for it ships with TF Java.
 */
final class StateFile {

  private StateFile() {}

  static String format(CheckpointState state) {
    StringBuilder b = new StringBuilder();
    b.append("model_checkpoint_path: ").append(quote(state.modelCheckpointPath())).append('\n');
    for (String p : state.allModelCheckpointPaths()) {
      b.append("all_model_checkpoint_paths: ").append(quote(p)).append('\n');
    }
    for (double t : state.allModelCheckpointTimestamps()) {
      b.append("all_model_checkpoint_timestamps: ").append(number(t)).append('\n');
    }
    if (state.lastPreservedTimestamp() != 0) {
      b.append("last_preserved_timestamp: ").append(number(state.lastPreservedTimestamp())).append('\n');
    }
    return b.toString();
  }

  /**
   * Parses the text format.
   *
   * @throws IllegalArgumentException naming the line, for anything that is not one of the four
   *     fields with a value of the right kind
   */
  static CheckpointState parse(String text) {
    String model = "";
    List<String> paths = new ArrayList<>();
    List<Double> times = new ArrayList<>();
    double preserved = 0;
    int lineNo = 0;
    for (String raw : text.split("\n", -1)) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(
            "line " + lineNo + " is not 'field: value': '" + abbreviate(line) + "'");
      }
      String field = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      switch (field) {
        case "model_checkpoint_path":
          model = unquote(value, lineNo);
          break;
        case "all_model_checkpoint_paths":
          paths.add(unquote(value, lineNo));
          break;
        case "all_model_checkpoint_timestamps":
          times.add(parseNumber(value, lineNo));
          break;
        case "last_preserved_timestamp":
          preserved = parseNumber(value, lineNo);
          break;
        default:
          throw new IllegalArgumentException(
              "line " + lineNo + " has unknown field '" + abbreviate(field) + "'");
      }
    }
    return new CheckpointState(model, paths, times, preserved);
  }

  /** Writes {@code state} to {@code file} atomically ({@link AtomicFiles}). */
  static void writeAtomically(Path file, CheckpointState state) throws IOException {
    AtomicFiles.write(file, format(state).getBytes(StandardCharsets.UTF_8));
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '"' -> b.append("\\\"");
        case '\'' -> b.append("\\'");
        case '\\' -> b.append("\\\\");
        default -> {
          // Python's text_format escapes every byte outside printable ASCII as octal.
          if (c < 0x20 || c >= 0x7f) {
            b.append(String.format("\\%03o", c));
          } else {
            b.append((char) c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static String unquote(String value, int lineNo) {
    if (value.length() < 2
        || value.charAt(0) != value.charAt(value.length() - 1)
        || (value.charAt(0) != '"' && value.charAt(0) != '\'')) {
      throw new IllegalArgumentException(
          "line " + lineNo + ": expected a quoted string, but got '" + abbreviate(value) + "'");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String body = value.substring(1, value.length() - 1);
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c != '\\') {
        out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
        continue;
      }
      if (++i >= body.length()) {
        throw new IllegalArgumentException("line " + lineNo + ": string ends inside an escape");
      }
      char e = body.charAt(i);
      switch (e) {
        case 'n' -> out.write('\n');
        case 'r' -> out.write('\r');
        case 't' -> out.write('\t');
        case '"', '\'', '\\', '?' -> out.write(e);
        case 'x' -> {
          int end = i + 1;
          while (end < body.length() && end < i + 3 && Character.digit(body.charAt(end), 16) >= 0) {
            end++;
          }
          if (end == i + 1) {
            throw new IllegalArgumentException("line " + lineNo + ": bad \\x escape");
          }
          out.write(Integer.parseInt(body.substring(i + 1, end), 16));
          i = end - 1;
        }
        default -> {
          if (e >= '0' && e <= '7') {
            int end = i;
            while (end < body.length() && end < i + 3 && body.charAt(end) >= '0' && body.charAt(end) <= '7') {
              end++;
            }
            out.write(Integer.parseInt(body.substring(i, end), 8));
            i = end - 1;
          } else {
            throw new IllegalArgumentException(
                "line " + lineNo + ": unknown escape '\\" + e + "'");
          }
        }
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static double parseNumber(String value, int lineNo) {
    String v = value.toLowerCase(java.util.Locale.ROOT);
    switch (v) {
      case "inf", "infinity", "+inf" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-inf", "-infinity" -> {
        return Double.NEGATIVE_INFINITY;
      }
      case "nan" -> {
        return Double.NaN;
      }
      default -> {
        try {
          return Double.parseDouble(v.endsWith("f") ? v.substring(0, v.length() - 1) : v);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "line " + lineNo + ": expected a number, but got '" + abbreviate(value) + "'", e);
        }
      }
    }
  }

  private static String number(double d) {
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (Double.isNaN(d)) {
      return "nan";
    }
    return BigDecimal.valueOf(d).toPlainString();
  }

  private static String abbreviate(String s) {
    String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() > 60 ? clean.substring(0, 57) + "..." : clean;
  }
}

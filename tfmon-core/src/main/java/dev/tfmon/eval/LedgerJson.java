package dev.tfmon.eval;

import dev.tfmon.eval.metrics.MetricValue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ledger line as JSON and back: {@code {"checkpoint":"model.ckpt-500","global_step":500,
 * "wall_time":1796036393.25,"metrics":{"accuracy":0.99,"confusion_matrix":{"shape":[2,2],
 * "values":[...]}}}}. Numbers are written with {@link Double#toString} (exact round trip; float32
 * values are widened exactly), NaN and infinities as the strings {@code "NaN"}, {@code
 * "Infinity"}, {@code "-Infinity"}. The reader accepts exactly what JSON allows for these shapes.
 */
final class LedgerJson {
  private final String text;
  private int pos;

  private LedgerJson(String text) {
    this.text = text;
  }

  static String encode(String checkpoint, EvalResult r) {
    StringBuilder b = new StringBuilder(128);
    b.append("{\"checkpoint\":");
    string(b, checkpoint);
    b.append(",\"global_step\":").append(r.globalStep());
    // seconds since the epoch with millisecond precision, as an event's wall_time
    b.append(",\"wall_time\":")
        .append(java.math.BigDecimal.valueOf(r.wallTime().toEpochMilli(), 3).toPlainString());
    b.append(",\"metrics\":{");
    boolean first = true;
    for (Map.Entry<String, MetricValue> e : r.metrics().entrySet()) {
      if (!first) {
        b.append(',');
      }
      first = false;
      string(b, e.getKey());
      b.append(':');
      MetricValue v = e.getValue();
      if (v.isScalar()) {
        number(b, v.scalar());
      } else {
        b.append("{\"shape\":[");
        long[] shape = v.shape();
        for (int i = 0; i < shape.length; i++) {
          b.append(i == 0 ? "" : ",").append(shape[i]);
        }
        b.append("],\"values\":[");
        double[] values = v.values();
        for (int i = 0; i < values.length; i++) {
          if (i > 0) {
            b.append(',');
          }
          number(b, values[i]);
        }
        b.append("]}");
      }
    }
    return b.append("}}").toString();
  }

  /** A decoded line: the checkpoint as written (maybe relative) and the result. */
  record Line(String checkpoint, long globalStep, Instant wallTime, Map<String, MetricValue> metrics) {}

  /**
   * @throws IllegalArgumentException naming the offset, if the line is not a ledger entry
   */
  static Line decode(String line) {
    LedgerJson p = new LedgerJson(line);
    p.space();
    Object doc = p.value();
    p.space();
    if (p.pos != line.length()) {
      throw p.error("the end of the line");
    }
    if (!(doc instanceof Map<?, ?> top)) {
      throw new IllegalArgumentException("expected a JSON object, but the line holds " + doc);
    }
    String checkpoint = field(top, "checkpoint", String.class);
    long step = field(top, "global_step", Number.class).longValue();
    Instant when = Instant.ofEpochMilli(Math.round(field(top, "wall_time", Number.class).doubleValue() * 1000));
    Map<String, MetricValue> metrics = new LinkedHashMap<>();
    Map<?, ?> stored = field(top, "metrics", Map.class);
    for (Map.Entry<?, ?> e : stored.entrySet()) {
      metrics.put((String) e.getKey(), metric((String) e.getKey(), e.getValue()));
    }
    return new Line(checkpoint, step, when, metrics);
  }

  private static MetricValue metric(String name, Object v) {
    if (v instanceof Map<?, ?> m) {
      List<?> shape = field(m, "shape", List.class);
      List<?> values = field(m, "values", List.class);
      long[] dims = new long[shape.size()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = ((Number) shape.get(i)).longValue();
      }
      double[] out = new double[values.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = toDouble(name, values.get(i));
      }
      return MetricValue.of(dims, out);
    }
    return MetricValue.scalar(toDouble(name, v));
  }

  private static double toDouble(String name, Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {
      switch (s) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw new IllegalArgumentException("metric '" + name + "' holds " + v + ", not a number");
  }

  private static <T> T field(Map<?, ?> m, String key, Class<T> type) {
    Object v = m.get(key);
    if (!type.isInstance(v)) {
      throw new IllegalArgumentException(
          "expected field '" + key + "' to be " + type.getSimpleName() + ", but got " + v);
    }
    return type.cast(v);
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  private static void number(StringBuilder b, double d) {
    if (Double.isNaN(d)) {
      b.append("\"NaN\"");
    } else if (Double.isInfinite(d)) {
      b.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      b.append((long) d);
    } else {
      b.append(d);
    }
  }

  // ---- reading: objects, arrays, strings, numbers, true/false/null ----

  private Object value() {
    if (pos >= text.length()) {
      throw error("a value");
    }
    char c = text.charAt(pos);
    if (c == '{') {
      return object();
    }
    if (c == '[') {
      return array();
    }
    if (c == '"') {
      return string();
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return number();
    }
    for (String literal : new String[] {"true", "false", "null"}) {
      if (text.startsWith(literal, pos)) {
        pos += literal.length();
        return literal.equals("null") ? null : Boolean.valueOf(literal);
      }
    }
    throw error("a value");
  }

  private Map<String, Object> object() {
    Map<String, Object> out = new LinkedHashMap<>();
    pos++;
    space();
    if (peek('}')) {
      pos++;
      return out;
    }
    while (true) {
      space();
      if (!peek('"')) {
        throw error("a quoted key");
      }
      String key = string();
      space();
      expect(':');
      space();
      if (out.containsKey(key)) {
        throw new IllegalArgumentException("key '" + key + "' appears twice (offset " + pos + ")");
      }
      out.put(key, value());
      space();
      if (peek(',')) {
        pos++;
        continue;
      }
      expect('}');
      return out;
    }
  }

  private List<Object> array() {
    List<Object> out = new ArrayList<>();
    pos++;
    space();
    if (peek(']')) {
      pos++;
      return out;
    }
    while (true) {
      space();
      out.add(value());
      space();
      if (peek(',')) {
        pos++;
        continue;
      }
      expect(']');
      return out;
    }
  }

  private String string() {
    StringBuilder b = new StringBuilder();
    pos++;
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == '"') {
        return b.toString();
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (pos >= text.length()) {
        break;
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          if (pos + 4 > text.length()) {
            throw error("four hex digits");
          }
          b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
          pos += 4;
        }
        default -> throw error("an escape");
      }
    }
    throw error("the closing quote");
  }

  private Number number() {
    int start = pos;
    if (peek('-')) {
      pos++;
    }
    boolean integral = true;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c >= '0' && c <= '9') {
        pos++;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integral = false;
        pos++;
      } else {
        break;
      }
    }
    String s = text.substring(start, pos);
    try {
      if (integral) {
        return Long.parseLong(s);
      }
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' at offset " + start + " is not a number", e);
    }
  }

  private boolean peek(char c) {
    return pos < text.length() && text.charAt(pos) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error("'" + c + "'");
    }
    pos++;
  }

  private void space() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private IllegalArgumentException error(String expected) {
    String at = pos >= text.length() ? "the end of the line" : "'" + text.charAt(pos) + "'";
    return new IllegalArgumentException("expected " + expected + " at offset " + pos + ", but got " + at);
  }
}

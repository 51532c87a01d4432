package dev.tfmon.eval;

import dev.tfmon.eval.metrics.MetricValue;
import dev.tfmon.json.Json;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ledger line as JSON and back: {@code {"checkpoint":"model.ckpt-500","global_step":500,
 * "wall_time":1796036393.25,"metrics":{"accuracy":0.99,"confusion_matrix":{"shape":[2,2],
 * "values":[...]}}}}. Numbers are written with {@link Double#toString} (exact round trip; float32
 * values are widened exactly), NaN and infinities as the strings {@code "NaN"}, {@code
 * "Infinity"}, {@code "-Infinity"}. Parsing is {@link Json}'s.
 */
final class LedgerJson {
  private LedgerJson() {}

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
    Object doc = Json.parse(line);
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
    b.append(Json.quote(s));
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
}

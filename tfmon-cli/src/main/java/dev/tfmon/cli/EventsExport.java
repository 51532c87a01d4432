package dev.tfmon.cli;

import dev.tfmon.json.Json;
import dev.tfmon.summary.RunContents;
import dev.tfmon.summary.ScalarPoint;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * {@code tfmon events --csv} and {@code --json}: the runs' scalar points (and in JSON every tag)
 * in formats whose columns and fields are fixed, for scripts. README's "tfmon events for scripts"
 * documents them; a change there is a change of a public interface.
 *
 * <p>Numbers: a value that is a float32 is printed as the shortest decimal that reads back as that
 * float32 (0.1f as {@code 0.1}), others as the shortest that reads back as the double; NaN and the
 * infinities as {@code NaN}, {@code Infinity}, {@code -Infinity} (JSON: as strings, as protobuf's
 * JSON mapping does). Wall times are seconds since the epoch, in plain decimal notation.
 *
 * <pre>{@code
 * EventsExport.csv(runs, null, out);    // run,tag,step,wall_time,value
 * }</pre>
 */
final class EventsExport {
  private EventsExport() {}

  /** The header line and one line per scalar point: run, tag, step, wall_time, value. */
  static void csv(List<EventRuns.Named> runs, List<String> tags, PrintWriter out) {
    out.print("run,tag,step,wall_time,value\n");
    for (EventRuns.Named run : runs) {
      for (Map.Entry<String, List<ScalarPoint>> series : run.contents().scalars().entrySet()) {
        if (tags != null && !tags.contains(series.getKey())) {
          continue;
        }
        String prefix = csvField(run.name()) + "," + csvField(series.getKey()) + ",";
        for (ScalarPoint p : series.getValue()) {
          out.print(prefix + p.step() + "," + wallTime(p.wallTime()) + "," + value(p.value()) + "\n");
        }
      }
    }
  }

  /** One JSON document: {@code {"runs": [...]}}, see README for the fields. */
  static void json(List<EventRuns.Named> runs, List<String> tags, PrintWriter out) {
    StringBuilder j = new StringBuilder("{\n  \"runs\": [");
    for (int r = 0; r < runs.size(); r++) {
      EventRuns.Named run = runs.get(r);
      RunContents c = run.contents();
      j.append(r == 0 ? "\n" : ",\n").append("    {\n");
      j.append("      \"name\": ").append(quote(run.name())).append(",\n");
      j.append("      \"directory\": ").append(quote(c.run().directory().toString())).append(",\n");
      j.append("      \"files\": [");
      for (int i = 0; i < c.files().size(); i++) {
        RunContents.FileRead f = c.files().get(i);
        j.append(i == 0 ? "\n" : ",\n").append("        {\"path\": ").append(quote(f.file().toString()))
            .append(", \"events\": ").append(f.events())
            .append(", \"ignored_bytes\": ").append(f.unreadTail().map(t -> t.bytes()).orElse(0L))
            .append(", \"problem\": ")
            .append(f.failure().or(() -> f.unreadTail().map(t -> t.reason())).map(EventsExport::quote).orElse("null"))
            .append('}');
      }
      j.append(c.files().isEmpty() ? "],\n" : "\n      ],\n");
      j.append("      \"tags\": [");
      boolean first = true;
      for (RunContents.TagInfo t : c.tags().values()) {
        if (tags != null && !tags.contains(t.tag())) {
          continue;
        }
        j.append(first ? "\n" : ",\n").append("        {\"tag\": ").append(quote(t.tag()))
            .append(", \"kind\": ").append(quote(t.kind().label()))
            .append(", \"plugin\": ").append(quote(t.plugin()))
            .append(", \"points\": ").append(t.points())
            .append(", \"first_step\": ").append(t.firstStep())
            .append(", \"last_step\": ").append(t.lastStep()).append('}');
        first = false;
      }
      j.append(first ? "],\n" : "\n      ],\n");
      j.append("      \"restarts\": [");
      for (int i = 0; i < c.restarts().size(); i++) {
        RunContents.Restart restart = c.restarts().get(i);
        j.append(i == 0 ? "" : ", ").append("{\"step\": ").append(restart.step())
            .append(", \"wall_time\": ").append(wallTime(restart.wallTime())).append('}');
      }
      j.append("],\n");
      j.append("      \"purged_points\": ").append(c.purgedPoints()).append(",\n");
      j.append("      \"scalars\": {");
      first = true;
      for (Map.Entry<String, List<ScalarPoint>> series : c.scalars().entrySet()) {
        if (tags != null && !tags.contains(series.getKey())) {
          continue;
        }
        j.append(first ? "\n" : ",\n").append("        ").append(quote(series.getKey())).append(": [");
        List<ScalarPoint> points = series.getValue();
        for (int i = 0; i < points.size(); i++) {
          ScalarPoint p = points.get(i);
          String v = value(p.value());
          j.append(i == 0 ? "\n" : ",\n").append("          {\"step\": ").append(p.step())
              .append(", \"wall_time\": ").append(wallTime(p.wallTime()))
              .append(", \"value\": ").append(Double.isFinite(p.value()) ? v : quote(v)).append('}');
        }
        j.append("\n        ]");
        first = false;
      }
      j.append(first ? "}\n" : "\n      }\n").append("    }");
    }
    j.append(runs.isEmpty() ? "]\n}\n" : "\n  ]\n}\n");
    out.print(j);
  }

  /** The shortest decimal that reads back as the value (as a float32 when it is one). */
  static String value(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    float f = (float) v;
    return f == v ? Float.toString(f) : Double.toString(v);
  }

  private static String wallTime(double seconds) {
    return Double.isFinite(seconds) ? BigDecimal.valueOf(seconds).toPlainString() : "0";
  }

  /** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
  private static String csvField(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  /** A JSON string literal (RFC 8259 escaping, by Jackson). */
  private static String quote(String s) {
    return Json.quote(s);
  }
}

package dev.tfmon.export;

import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.testing.ChildJvm;
import java.nio.file.Path;
import java.util.Map;
import java.util.StringJoiner;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;

/**
 * A child JVM for {@link ExportProcessTest}:
 *
 * <ul>
 *   <li>{@code predict DIR N SEED}: loads DIR with TF Java's {@code SavedModelBundle.load(dir,
 *       "serve")}, as the README shows, and prints {@code predictions v1 v2 ...} for {@link
 *       ExportModel#rows}(N, SEED);
 *   <li>{@code loop BASE FIRST}: exports linear-ref's checkpoint again and again as versions FIRST,
 *       FIRST+1, ... into BASE (keeping 3), printing {@code exported V} after each.
 * </ul>
 */
public final class SavedModelChildMain {
  private SavedModelChildMain() {}

  public static void main(String[] args) {
    ChildJvm.exitWhenParentDies();
    if (args[0].equals("predict")) {
      predict(Path.of(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]));
    } else {
      loop(Path.of(args[1]), Long.parseLong(args[2]));
    }
  }

  private static void predict(Path dir, int n, long seed) {
    try (SavedModelBundle model = SavedModelBundle.load(dir.toString(), "serve");
        TFloat32 rows = ExportModel.rows(n, seed);
        Result result = model.function("serving_default").call(Map.of("x", rows))) {
      StringJoiner line = new StringJoiner(" ", "predictions ", "");
      for (float v : ExportModel.floats((TFloat32) result.get("y").orElseThrow())) {
        line.add(Float.toString(v));
      }
      System.out.println(line);
    }
  }

  private static void loop(Path base, long first) {
    ExportDirectory exports = ExportDirectory.of(base).keep(3);
    try (Graph g = new Graph(); NativeSession session = NativeSession.open(g)) {
      ImportedMetaGraph lr = ExportBadInputTest.linearRef(g);
      lr.saver().orElseThrow().restore(session, ExportBadInputTest.checkpoint());
      SavedModelExporter exporter = ExportBadInputTest.linearExporter(g);
      System.out.println("ready");
      for (long v = first; ; v++) {
        exporter.export(session, exports, v);
        System.out.println("exported " + v);
      }
    }
  }
}

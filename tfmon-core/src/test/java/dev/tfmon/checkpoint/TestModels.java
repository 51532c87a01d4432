package dev.tfmon.checkpoint;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/** Graph helpers for checkpoint tests: variables with exact names, reading values, interop files. */
final class TestModels {
  private TestModels() {}

  /** A VariableV2 named {@code name} with initializer {@code name/Assign} from a constant. */
  static GraphOperation variable(Graph g, String name, Tensor init) {
    return variable(g, name, init, "");
  }

  static GraphOperation variable(Graph g, String name, Tensor init, String device) {
    var scope = device.isEmpty() ? Ops.create(g).scope() : new DeviceScope(Ops.create(g).scope(), device);
    var vb = g.opBuilder("VariableV2", name, scope).setAttr("dtype", init.dataType()).setAttr("shape", init.shape());
    var cb = g.opBuilder("Const", name + "/initial_value", scope).setAttr("dtype", init.dataType()).setAttr("value", init);
    GraphOperation v = vb.build();
    GraphOperation c = cb.build();
    var ab = g.opBuilder("Assign", name + "/Assign", scope).addInput(v.output(0)).addInput(c.output(0));
    ab.build();
    return v;
  }

  /** A float scalar variable initialized to {@code value}. */
  static GraphOperation scalar(Graph g, String name, float value) {
    try (TFloat32 t = TFloat32.scalarOf(value)) {
      return variable(g, name, t);
    }
  }

  /** Runs every {@code <var>/Assign} initializer of the graph. */
  static void initialize(NativeSession s) {
    var r = s.runner();
    for (var it = s.graph().operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals("Assign") && op.name().endsWith("/Assign")
          && s.graph().operation(op.name().substring(0, op.name().length() - 7)) != null
          && s.graph().operation(op.name().substring(0, op.name().length() - 7)).type().equals("VariableV2")) {
        r.addTarget(op);
      }
    }
    r.run().close();
  }

  static float floatValue(NativeSession s, String name) {
    try (RunResult r = s.runner().fetch(name).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  static float[] floats(Tensor t) {
    TFloat32 f = (TFloat32) t;
    float[] out = new float[(int) f.shape().size()];
    int[] i = {0};
    f.scalars().forEach(s -> out[i[0]++] = s.getFloat());
    return out;
  }

  /** The interop folder written by Python TensorFlow ({@code /work/shared/interop}). */
  static Path interop() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      Path candidate = p.resolve("shared").resolve("interop");
      if (Files.isDirectory(candidate.resolve("linear-ref"))) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "no shared/interop folder found above " + dir + ": the interop files are required by these tests");
  }

  /** A data.csv (features, then the label last) as (features [rows, columns - 1], labels [rows, 1]). */
  static TFloat32[] data(Path csv) {
    try {
      List<String> lines = Files.readAllLines(csv);
      int n = lines.size() - 1;
      int features = lines.get(0).split(",").length - 1;
      float[][] x = new float[n][features];
      float[][] y = new float[n][1];
      for (int i = 0; i < n; i++) {
        String[] f = lines.get(i + 1).split(",");
        for (int j = 0; j < features; j++) {
          x[i][j] = Float.parseFloat(f[j]);
        }
        y[i][0] = Float.parseFloat(f[features]);
      }
      return new TFloat32[] {
        TFloat32.tensorOf(org.tensorflow.ndarray.StdArrays.ndCopyOf(x)),
        TFloat32.tensorOf(org.tensorflow.ndarray.StdArrays.ndCopyOf(y))
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** tfmon-core's own fixtures written by Python ({@code src/test/resources/fixtures}). */
  static Path fixtures() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      Path candidate = p.resolve("tfmon-core/src/test/resources/fixtures");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      if (Files.isDirectory(p.resolve("src/test/resources/fixtures"))) {
        return p.resolve("src/test/resources/fixtures");
      }
    }
    throw new IllegalStateException("no tfmon-core/src/test/resources/fixtures above " + dir);
  }

  static Shape shape(long... dims) {
    return Shape.of(dims);
  }

  static DataType f32() {
    return DataType.DT_FLOAT;
  }
}

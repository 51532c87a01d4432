package dev.tfmon.eval.metrics;

import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.graph.GraphVariable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * One metric's name scope and its local variables, made as TF 1.x's {@code metric_variable} makes
 * them: zero-initialized, not trainable, in collections {@code local_variables} and {@code
 * metric_variables} (never {@code variables}, so savers skip them and a Scaffold's local init op
 * resets them), with Python's op names ({@code accuracy/total}, {@code .../Assign}, {@code
 * .../read}, {@code .../Initializer/zeros}).
 */
final class MetricScope {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9.][A-Za-z0-9_.\\-]*");

  private final Graph graph;
  private final String requested;
  private final Ops ops;
  private final List<GraphVariable> variables = new ArrayList<>();
  private String name;

  private MetricScope(Graph graph, String requested, Ops ops) {
    this.graph = graph;
    this.requested = requested;
    this.ops = ops;
  }

  /**
   * Opens a scope named {@code requested} (made unique as TensorFlow does: {@code accuracy_1}...).
   *
   * @throws IllegalArgumentException if the name is not a valid TensorFlow scope name
   * @throws IllegalStateException if the graph is finalized
   */
  static MetricScope open(Graph graph, String requested) {
    checkName(requested);
    GraphFinalization.checkNotFinalized(graph, "metric '" + requested + "'");
    return new MetricScope(graph, requested, Ops.create(graph).withSubScope(requested));
  }

  static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a metric name must be a TensorFlow scope name (letters, digits, '_', '.', '-', not"
              + " starting with '_' or '-'), but got "
              + (name == null ? "null" : "'" + name + "'"));
    }
  }

  /** @throws IllegalArgumentException if {@code weights} (null for none) are of another graph */
  static void checkWeights(Graph graph, String metric, Operand<?> weights) {
    if (weights != null && weights.env() != graph) {
      throw new IllegalArgumentException(
          metric + ": weights '" + weights.asOutput().op().name() + "' belong to another graph");
    }
  }

  Graph graph() {
    return graph;
  }

  /** The name asked for, before it was made unique: how error messages name the metric. */
  String requested() {
    return requested;
  }

  /** The ops builder of this scope: ops it builds are named {@code <scope>/...}. */
  Ops ops() {
    return ops;
  }

  /** The scope's name once its first variable exists ({@code "accuracy_1"}). */
  String name() {
    if (name == null) {
      throw new IllegalStateException("the metric scope has no variable yet");
    }
    return name;
  }

  List<GraphVariable> variables() {
    return List.copyOf(variables);
  }

  /** A float32 local variable of {@code shape} under {@code path} ({@code "total"}). */
  Variable<TFloat32> float32(String path, Shape shape) {
    // NdArrays are zero-filled; a tensor allocated from a shape alone is not.
    try (TFloat32 zeros = TFloat32.tensorOf(NdArrays.ofFloats(shape))) {
      return variable(path, TFloat32.class, DataType.DT_FLOAT, zeros);
    }
  }

  /** A float64 local variable of {@code shape} under {@code path}. */
  Variable<TFloat64> float64(String path, Shape shape) {
    try (TFloat64 zeros = TFloat64.tensorOf(NdArrays.ofDoubles(shape))) {
      return variable(path, TFloat64.class, DataType.DT_DOUBLE, zeros);
    }
  }

  /**
   * {@code path} is one name or {@code "inner/name"}: the inner part becomes a sub-scope, as
   * Python's {@code precision/true_positives/count}.
   */
  private <T extends TType> Variable<T> variable(
      String path, Class<T> type, DataType dtype, Tensor zeros) {
    Ops where = ops;
    String leaf = path;
    int slash = path.lastIndexOf('/');
    if (slash >= 0) {
      where = ops.withSubScope(path.substring(0, slash));
      leaf = path.substring(slash + 1);
    }
    Variable<T> v = where.withName(leaf).variable(zeros.shape(), type);
    String full = v.op().name();
    if (name == null) {
      name = full.substring(0, full.length() - path.length() - 1);
    }
    // Assign/read/zeros get Python's exact names, which TF Java's name scopes cannot spell.
    var root = Ops.create(graph).scope();
    GraphOperation init =
        graph
            .opBuilder("Const", full + "/Initializer/zeros", root)
            .setAttr("dtype", dtype)
            .setAttr("value", zeros)
            .build();
    GraphOperation assign =
        graph
            .opBuilder("Assign", full + "/Assign", root)
            .addInput(v.asOutput())
            .addInput(init.output(0))
            .build();
    GraphOperation read =
        graph.opBuilder("Identity", full + "/read", root).addInput(v.asOutput()).build();
    GraphVariable described =
        new GraphVariable(v.asOutput(), assign, read.output(0), init.output(0), false);
    GraphCollections collections = GraphCollections.of(graph);
    collections.add(CollectionKeys.LOCAL_VARIABLES, described);
    collections.add(CollectionKeys.METRIC_VARIABLES, described);
    variables.add(described);
    return v;
  }

  /** The read tensor ({@code <variable>/read}) of a variable made here. */
  @SuppressWarnings("unchecked")
  <T extends TType> Operand<T> read(Variable<T> variable) {
    for (GraphVariable v : variables) {
      if (v.variable().equals(variable.asOutput())) {
        return (Output<T>) v.snapshot();
      }
    }
    throw new IllegalArgumentException(variable + " is not a variable of metric scope " + name);
  }
}

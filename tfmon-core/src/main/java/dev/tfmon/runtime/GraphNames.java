package dev.tfmon.runtime;

import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;

/** Resolves TensorFlow names ({@code "op"}, {@code "op:index"}) in a graph, with clear errors. */
public final class GraphNames {
  private GraphNames() {}

  /**
   * The output named {@code name}: {@code "scope/op:1"}, or {@code "scope/op"} for output 0.
   *
   * @throws IllegalArgumentException naming the value, if there is no such operation or output
   */
  public static Output<?> output(Graph graph, String name) {
    int colon = name.lastIndexOf(':');
    String opName = colon < 0 ? name : name.substring(0, colon);
    int index = 0;
    if (colon >= 0) {
      try {
        index = Integer.parseInt(name.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "expected a tensor name such as 'op:0', but got '" + name + "'", e);
      }
    }
    Operation op = operation(graph, opName);
    if (index < 0 || index >= op.numOutputs()) {
      throw new IllegalArgumentException(
          "operation '"
              + opName
              + "' has "
              + op.numOutputs()
              + " output(s), so tensor '"
              + name
              + "' does not exist");
    }
    return op.output(index);
  }

  /**
   * The operation named {@code name} (a trailing {@code ":index"} is ignored, as TensorFlow does for
   * targets).
   *
   * @throws IllegalArgumentException naming the value, if the graph has no such operation
   */
  public static GraphOperation operation(Graph graph, String name) {
    int colon = name.lastIndexOf(':');
    String opName = colon < 0 ? name : name.substring(0, colon);
    GraphOperation op = graph.operation(opName);
    if (op == null) {
      throw new IllegalArgumentException("the graph has no operation named '" + opName + "'");
    }
    return op;
  }

  /** {@code "op:index"} for any operand. */
  public static String tensorName(Operand<?> operand) {
    Output<?> out = operand.asOutput();
    return out.op().name() + ":" + out.index();
  }

  /**
   * {@code base} if the graph has no operation of that name, else {@code base_1}, {@code base_2}...
   * (the first free one), TensorFlow's way of making names unique.
   */
  public static String uniqueOpName(Graph graph, String base) {
    if (graph.operation(base) == null) {
      return base;
    }
    for (int i = 1; ; i++) {
      String candidate = base + "_" + i;
      if (graph.operation(candidate) == null) {
        return candidate;
      }
    }
  }

  /** Checks that {@code operand} belongs to {@code graph}. */
  static void requireSameGraph(Graph graph, Operand<?> operand, String role) {
    if (operand.env() != graph) {
      throw new IllegalArgumentException(
          "cannot " + role + " '" + tensorName(operand) + "': it belongs to another graph");
    }
  }
}

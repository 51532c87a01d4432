package dev.tfmon.hook;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.GraphNames;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.types.TInt64;

/** What the standard hooks share: the global step's read tensor and tensor-name resolution. */
final class HookSupport {
  private HookSupport() {}

  /**
   * The global step's read tensor (GS-6), created if needed.
   *
   * @throws IllegalStateException naming {@code hookName} if the graph has no global step
   */
  static Output<TInt64> stepRead(Graph graph, String hookName) {
    if (GlobalStep.get(graph).isEmpty()) {
      throw new IllegalStateException(
          hookName
              + " needs a global step, but the graph has none: create it with"
              + " GlobalStep.getOrCreate(graph) before building the session");
    }
    return GlobalStep.readTensor(graph);
  }

  /**
   * The tensor a name means (HK-RES-1): {@code "op:1"} as is; {@code "op"} is {@code "op:0"}, and
   * ambiguous when the operation has several outputs.
   *
   * @throws IllegalArgumentException naming the value if it is ambiguous or not in the graph
   */
  static Output<?> resolve(Graph graph, String name) {
    if (name.contains(":")) {
      return GraphNames.output(graph, name);
    }
    Operation op = GraphNames.operation(graph, name);
    if (op.numOutputs() > 1) {
      throw new IllegalArgumentException(
          "Name '"
              + name
              + "' is ambiguous: operation '"
              + name
              + "' has "
              + op.numOutputs()
              + " outputs; name one as '"
              + name
              + ":0'");
    }
    if (op.numOutputs() == 0) {
      throw new IllegalArgumentException(
          "Name '" + name + "' refers to an operation without outputs, not a tensor");
    }
    return op.output(0);
  }

  /** {@code steps}, checked to be a valid steps-per-run value (at least 1). */
  static int requireStepsPerRun(int steps) {
    if (steps < 1) {
      throw new IllegalArgumentException("expected stepsPerRun >= 1, but got " + steps);
    }
    return steps;
  }
}

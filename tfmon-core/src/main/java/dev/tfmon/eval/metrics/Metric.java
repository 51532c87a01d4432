package dev.tfmon.eval.metrics;

import dev.tfmon.graph.GraphVariable;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Operation;
import org.tensorflow.Output;

/**
 * A streaming metric built in a graph, as TF 1.x's {@code tf.compat.v1.metrics.*} return it: an
 * update tensor that folds one batch into the metric's local variables and evaluates to the
 * metric's new value, and a value tensor that reads the accumulated value without changing it.
 * Running the graph's local init op (or {@link MetricGroup#resetOp()}) sets the variables back to
 * zero.
 *
 * <pre>{@code
 * Metric accuracy = StreamingMetrics.accuracy(labels, predictedClass).build();
 * for (each batch) session.runner().addTarget(accuracy.updateOp()).run().close();
 * try (RunResult r = session.runner().fetch(accuracy.value()).run()) { ... }
 * }</pre>
 *
 * @param name the metric's name scope in the graph ({@code "accuracy"}, {@code "accuracy_1"}, or
 *     the name given to its builder): unique in its graph
 * @param value the accumulated value: a float32 scalar, or a float64 {@code [n, n]} matrix for a
 *     confusion matrix
 * @param update the value after folding in the current batch (fetch it, or run {@link #updateOp()})
 * @param variables the metric's local variables, also listed in collections {@code
 *     local_variables} and {@code metric_variables}
 */
public record Metric(String name, Output<?> value, Output<?> update, List<GraphVariable> variables) {

  public Metric {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(update, "update");
    variables = List.copyOf(variables);
  }

  /** The operation of {@link #update()}: a run target that updates the metric. */
  public Operation updateOp() {
    return update.op();
  }
}

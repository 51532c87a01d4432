package dev.tfmon.eval;

import dev.tfmon.eval.metrics.MetricGroup;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Operation;

/**
 * What an {@link EvalModel} built: the metrics whose update op runs once per batch until the input
 * ends, and the operations that (re)start the input (a tf.data iterator's {@code MakeIterator}),
 * run after every restore together with the local variables' initializers.
 *
 * <pre>{@code
 * return EvalGraph.of(metrics, model.iteratorInit());
 * }</pre>
 *
 * @param metrics the metrics, all of the graph given to the model
 * @param inputInitializers run once per evaluation session, before the first batch
 */
public record EvalGraph(MetricGroup metrics, List<Operation> inputInitializers) {

  public EvalGraph {
    Objects.requireNonNull(metrics, "metrics");
    inputInitializers = List.copyOf(inputInitializers);
  }

  /** Metrics and the input's initializers (none for an input of constants or placeholders). */
  public static EvalGraph of(MetricGroup metrics, Operation... inputInitializers) {
    return new EvalGraph(metrics, List.of(inputInitializers));
  }
}

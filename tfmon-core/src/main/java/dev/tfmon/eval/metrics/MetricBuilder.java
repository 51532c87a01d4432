package dev.tfmon.eval.metrics;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TNumber;

/**
 * Builds one of {@link StreamingMetrics}' metrics: optional weights and name, then {@link
 * #build()}.
 *
 * <pre>{@code
 * Metric accuracy = StreamingMetrics.accuracy(labels, predicted).weights(w).name("eval_accuracy").build();
 * }</pre>
 */
public final class MetricBuilder {
  /** What a metric kind builds in its scope. */
  @FunctionalInterface
  interface Definition {
    Metric build(MetricScope scope, Operand<?> weights);
  }

  private final Graph graph;
  private final Definition definition;
  private Operand<?> weights;
  private String name;

  MetricBuilder(Graph graph, String defaultName, Definition definition) {
    this.graph = graph;
    this.name = defaultName;
    this.definition = definition;
  }

  /**
   * Per-example weights (TF's {@code weights}): a scalar, or a tensor that broadcasts to the values
   * (one rank more or less than the predictions is lined up as TF does). Null for none.
   */
  public MetricBuilder weights(Operand<? extends TNumber> weights) {
    this.weights = weights;
    return this;
  }

  /** The metric's name scope (TF's {@code name}); made unique in the graph like TF's scopes. */
  public MetricBuilder name(String name) {
    this.name = name;
    return this;
  }

  /**
   * Creates the metric's local variables and ops.
   *
   * @throws IllegalArgumentException if the name is not a scope name, or the inputs' shapes or
   *     dtypes do not fit the metric (the message names the metric and the shapes)
   * @throws IllegalStateException if the graph is finalized
   */
  public Metric build() {
    MetricScope.checkWeights(graph, name, weights);
    return definition.build(MetricScope.open(graph, name), weights);
  }
}

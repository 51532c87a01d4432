package dev.tfmon.eval;

import org.tensorflow.Graph;

/**
 * Builds what one evaluation runs into a fresh graph: the held-out input, the model with its
 * variables named as in training (so the checkpoint restores them), and the streaming metrics, as
 * an Estimator's {@code model_fn} does in {@code EVAL} mode. {@link Evaluation} calls it once per
 * evaluated checkpoint, each time on a new {@link Graph}.
 *
 * <pre>{@code
 * EvalModel model = graph -> {
 *   Ops tf = Ops.create(graph);
 *   ...                                        // input pipeline, variables "w", "b", logits
 *   MetricGroup metrics = MetricGroup.of(
 *       StreamingMetrics.accuracy(labels, predicted).build(),
 *       StreamingMetrics.mean(exampleLoss).name("loss").build());
 *   return EvalGraph.of(metrics, iteratorInit);
 * };
 * }</pre>
 */
@FunctionalInterface
public interface EvalModel {
  /**
   * Builds the input, model and metrics into {@code graph} (empty, not finalized).
   *
   * @return the metrics to update once per batch and the input's initializers
   */
  EvalGraph build(Graph graph);
}

package dev.tfmon.eval;

import dev.tfmon.eval.metrics.MetricValue;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One evaluation of one checkpoint: what {@link Evaluation#once} returns, what {@link
 * EvaluationListener}s receive and what one line of the {@link EvaluationLedger} holds.
 *
 * <pre>{@code
 * EvalResult r = evaluation.once("/train/model.ckpt-2000");
 * System.out.printf("step %d accuracy %.4f%n", r.globalStep(), r.scalar("accuracy"));
 * }</pre>
 *
 * @param checkpoint the checkpoint prefix evaluated ({@code /train/model.ckpt-2000})
 * @param globalStep the global step restored from it
 * @param wallTime when the evaluation finished
 * @param metrics the final value of every metric, in the order the model built them
 */
public record EvalResult(String checkpoint, long globalStep, Instant wallTime, Map<String, MetricValue> metrics) {

  public EvalResult {
    Objects.requireNonNull(checkpoint, "checkpoint");
    Objects.requireNonNull(wallTime, "wallTime");
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /**
   * The value of a scalar metric.
   *
   * @throws IllegalArgumentException naming the metrics there are, if there is no such metric
   * @throws IllegalStateException if the metric is not a scalar
   */
  public double scalar(String metric) {
    MetricValue v = metrics.get(metric);
    if (v == null) {
      throw new IllegalArgumentException(
          "the evaluation of " + checkpoint + " has no metric '" + metric + "'; it has " + metrics.keySet());
    }
    return v.scalar();
  }

  /** The scalar metrics by name (non-scalar ones, such as a confusion matrix, left out). */
  public Map<String, Double> scalars() {
    Map<String, Double> out = new LinkedHashMap<>();
    metrics.forEach((name, v) -> {
      if (v.isScalar()) {
        out.put(name, v.scalar());
      }
    });
    return Collections.unmodifiableMap(out);
  }
}

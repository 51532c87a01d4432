package dev.tfmon.eval.metrics;

import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Operand;

/**
 * The streaming metrics of TF 1.x's {@code tf.compat.v1.metrics}, with its formulas, defaults and
 * edge cases (a ratio whose denominator is 0 is 0). Each returns a builder; {@code build()} creates
 * the metric's local variables and its update and value ops in the inputs' graph.
 *
 * <pre>{@code
 * Metric accuracy = StreamingMetrics.accuracy(labels, predictedClass).build();
 * Metric auc = StreamingMetrics.auc(labels, probability).build();
 * Metric loss = StreamingMetrics.mean(batchLoss).name("loss").build();
 * MetricGroup metrics = MetricGroup.of(accuracy, auc, loss);
 * // per batch: run metrics.updateOp(); at the end: fetch metrics.values()
 * }</pre>
 *
 * <p>Inputs need a known rank (their dimensions may be unknown): labels and predictions of one
 * shape, or one of them with an extra trailing dimension of size 1.
 */
public final class StreamingMetrics {
  private StreamingMetrics() {}

  /** The (weighted) mean of every element of {@code values} ({@code metrics.mean}). */
  public static MetricBuilder mean(Operand<?> values) {
    return new MetricBuilder(
        graphOf(values), "mean", (scope, weights) -> MeanMetric.mean(scope, values, weights));
  }

  /**
   * How often {@code predictions} equal {@code labels} ({@code metrics.accuracy}): class ids, or
   * any values compared exactly (predictions are cast to the labels' dtype).
   */
  public static MetricBuilder accuracy(Operand<?> labels, Operand<?> predictions) {
    requireBoth(labels, predictions);
    return new MetricBuilder(
        graphOf(predictions),
        "accuracy",
        (scope, weights) -> MeanMetric.accuracy(scope, labels, predictions, weights));
  }

  /**
   * {@code tp / (tp + fp)} over boolean labels and predictions (non-zero is true; threshold
   * probabilities first), 0 with no predicted positive ({@code metrics.precision}).
   */
  public static MetricBuilder precision(Operand<?> labels, Operand<?> predictions) {
    requireBoth(labels, predictions);
    return new MetricBuilder(
        graphOf(predictions),
        "precision",
        (scope, weights) -> ConditionCounts.precision(scope, labels, predictions, weights));
  }

  /** {@code tp / (tp + fn)}, like {@link #precision}, 0 with no positive label ({@code metrics.recall}). */
  public static MetricBuilder recall(Operand<?> labels, Operand<?> predictions) {
    requireBoth(labels, predictions);
    return new MetricBuilder(
        graphOf(predictions),
        "recall",
        (scope, weights) -> ConditionCounts.recall(scope, labels, predictions, weights));
  }

  /**
   * The area under the ROC or PR curve of probabilities in [0, 1] against boolean labels, over
   * thresholds ({@code metrics.auc}); see {@link AucBuilder} for the options.
   */
  public static AucBuilder auc(Operand<?> labels, Operand<?> predictions) {
    requireBoth(labels, predictions);
    return new AucBuilder(graphOf(predictions), labels, predictions);
  }

  /**
   * The mean of {@code (labels - predictions)^2} over every element ({@code
   * metrics.mean_squared_error}); both inputs of one dtype.
   */
  public static MetricBuilder meanSquaredError(Operand<?> labels, Operand<?> predictions) {
    requireBoth(labels, predictions);
    return new MetricBuilder(
        graphOf(predictions),
        "mean_squared_error",
        (scope, weights) -> MeanMetric.meanSquaredError(scope, labels, predictions, weights));
  }

  /**
   * Accumulated counts (or weights) of (true class, predicted class) pairs: a float64 {@code
   * [numClasses, numClasses]} matrix, rows the labels, columns the predictions (the streaming
   * confusion matrix behind TF 1.x's {@code metrics.mean_iou}). Inputs of any rank are flattened.
   *
   * @throws IllegalArgumentException if {@code numClasses} is less than 1
   */
  public static MetricBuilder confusionMatrix(
      Operand<?> labels, Operand<?> predictions, int numClasses) {
    requireBoth(labels, predictions);
    if (numClasses < 1) {
      throw new IllegalArgumentException(
          "confusion matrix: numClasses must be at least 1, but got " + numClasses);
    }
    return new MetricBuilder(
        graphOf(predictions),
        "confusion_matrix",
        (scope, weights) ->
            ConfusionMatrixMetric.build(scope, labels, predictions, weights, numClasses));
  }

  private static void requireBoth(Operand<?> labels, Operand<?> predictions) {
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(predictions, "predictions");
    if (labels.env() != predictions.env()) {
      throw new IllegalArgumentException(
          "labels '" + labels.asOutput().op().name() + "' and predictions '"
              + predictions.asOutput().op().name() + "' belong to different graphs");
    }
  }

  private static Graph graphOf(Operand<?> x) {
    Objects.requireNonNull(x, "input");
    if (!(x.env() instanceof Graph)) {
      throw new IllegalArgumentException(
          "streaming metrics are graph ops, but '" + x + "' belongs to an eager session");
    }
    return (Graph) x.env();
  }
}

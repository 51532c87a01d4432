package dev.tfmon.eval.metrics;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The confusion counts at each of a list of thresholds (TF 1.x's {@code
 * _confusion_matrix_at_thresholds}): a prediction is positive at threshold t when it is greater
 * than t. Four float32 {@code [thresholds]} variables ({@code true_positives}, {@code
 * false_negatives}, {@code true_negatives}, {@code false_positives}) accumulate weighted counts.
 * Predictions outside [0, 1] fail the run with INVALID_ARGUMENT.
 */
final class ThresholdCounts {
  /** The four counts, read from the variables. */
  final Counts values;
  /** The four counts as updated by one batch. */
  final Counts updates;

  record Counts(
      Operand<TFloat32> tp, Operand<TFloat32> fn, Operand<TFloat32> tn, Operand<TFloat32> fp) {}

  private ThresholdCounts(Counts values, Counts updates) {
    this.values = values;
    this.updates = updates;
  }

  static ThresholdCounts build(
      MetricScope scope,
      Operand<?> labels,
      Operand<?> predictions,
      Operand<?> weights,
      float[] thresholds) {
    Ops tf = scope.ops();
    String metric = scope.requested();
    Operand<TFloat32> p = MetricInputs.cast(tf, predictions, TFloat32.class);
    Operand<TBool> inRange =
        tf.reduceAll(
            tf.math.logicalAnd(
                tf.math.greaterEqual(p, tf.constant(0f)), tf.math.lessEqual(p, tf.constant(1f))),
            MetricInputs.allAxes(tf, p));
    var check =
        tf.assertThat(
            inRange,
            java.util.List.of(
                tf.constant(metric + ": every prediction must lie in [0, 1]; got min and max"),
                tf.min(p, MetricInputs.allAxes(tf, p)),
                tf.max(p, MetricInputs.allAxes(tf, p))));
    p = tf.withControlDependencies(java.util.List.of(check)).identity(p);
    MetricInputs.Aligned a =
        MetricInputs.align(
            metric, scope.graph(), MetricInputs.cast(tf, labels, TBool.class), p, weights);
    p = MetricInputs.cast(tf, a.predictions(), TFloat32.class);
    Operand<TBool> l = MetricInputs.cast(tf, a.labels(), TBool.class);

    int n = thresholds.length;
    Operand<TFloat32> predictionsRow = tf.reshape(p, tf.constant(new long[] {1, -1}));
    Operand<TBool> labelsRow = tf.reshape(l, tf.constant(new long[] {1, -1}));
    // [thresholds, examples]: each row compares every prediction with one threshold.
    Operand<TInt64> numPredictions =
        tf.slice(tf.shape(predictionsRow, TInt64.class), tf.constant(new long[] {1}), tf.constant(new long[] {1}));
    Operand<TFloat32> thresholdsTiled =
        tf.tile(
            tf.reshape(tf.constant(thresholds), tf.constant(new long[] {n, 1})),
            tf.concat(java.util.List.of(tf.constant(new long[] {1}), numPredictions), tf.constant(0)));
    Operand<TBool> predIsPos =
        tf.math.greater(tf.tile(predictionsRow, tf.constant(new long[] {n, 1})), thresholdsTiled);
    Operand<TBool> predIsNeg = tf.math.logicalNot(predIsPos);
    Operand<TBool> labelIsPos = tf.tile(labelsRow, tf.constant(new long[] {n, 1}));
    Operand<TBool> labelIsNeg = tf.math.logicalNot(labelIsPos);
    Operand<TFloat32> weightsTiled = null;
    if (a.weights() != null) {
      Operand<TFloat32> w =
          MetricInputs.broadcastWeights(
              metric, tf, MetricInputs.cast(tf, a.weights(), TFloat32.class), p);
      weightsTiled =
          tf.tile(tf.reshape(w, tf.constant(new long[] {1, -1})), tf.constant(new long[] {n, 1}));
    }
    Shape shape = Shape.of(n);
    Variable<TFloat32> tp = scope.float32("true_positives", shape);
    Variable<TFloat32> fn = scope.float32("false_negatives", shape);
    Variable<TFloat32> tn = scope.float32("true_negatives", shape);
    Variable<TFloat32> fp = scope.float32("false_positives", shape);
    Counts updates =
        new Counts(
            accumulate(tf, tp, labelIsPos, predIsPos, weightsTiled),
            accumulate(tf, fn, labelIsPos, predIsNeg, weightsTiled),
            accumulate(tf, tn, labelIsNeg, predIsNeg, weightsTiled),
            accumulate(tf, fp, labelIsNeg, predIsPos, weightsTiled));
    Counts values = new Counts(scope.read(tp), scope.read(fn), scope.read(tn), scope.read(fp));
    return new ThresholdCounts(values, updates);
  }

  private static Operand<TFloat32> accumulate(
      Ops tf,
      Variable<TFloat32> count,
      Operand<TBool> label,
      Operand<TBool> prediction,
      Operand<TFloat32> weights) {
    Operand<TFloat32> hits = tf.dtypes.cast(tf.math.logicalAnd(label, prediction), TFloat32.class);
    if (weights != null) {
      hits = tf.math.mul(hits, weights);
    }
    return tf.assignAdd(count, tf.reduceSum(hits, tf.constant(1)));
  }
}

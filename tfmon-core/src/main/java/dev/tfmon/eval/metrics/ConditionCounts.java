package dev.tfmon.eval.metrics;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * TF 1.x's {@code metrics.precision} and {@code metrics.recall}: labels and predictions are read as
 * booleans (non-zero is true), each condition (true positive, false positive, false negative) is
 * counted, weighted, in a float32 {@code <condition>/count} variable. Precision is {@code tp / (tp +
 * fp)}, recall {@code tp / (tp + fn)}, both 0 when the denominator is 0.
 */
final class ConditionCounts {
  private ConditionCounts() {}

  private enum Ratio {
    PRECISION("false_positives"),
    RECALL("false_negatives");

    final String other;

    Ratio(String other) {
      this.other = other;
    }
  }

  static Metric precision(
      MetricScope scope, Operand<?> labels, Operand<?> predictions, Operand<?> weights) {
    return ratio(scope, labels, predictions, weights, Ratio.PRECISION);
  }

  static Metric recall(
      MetricScope scope, Operand<?> labels, Operand<?> predictions, Operand<?> weights) {
    return ratio(scope, labels, predictions, weights, Ratio.RECALL);
  }

  private static Metric ratio(
      MetricScope scope,
      Operand<?> labels,
      Operand<?> predictions,
      Operand<?> weights,
      Ratio ratio) {
    Ops tf = scope.ops();
    String metric = scope.requested();
    MetricInputs.Aligned a =
        MetricInputs.align(
            metric,
            scope.graph(),
            MetricInputs.cast(tf, labels, TBool.class),
            MetricInputs.cast(tf, predictions, TBool.class),
            weights);
    Operand<TBool> l = MetricInputs.cast(tf, a.labels(), TBool.class);
    Operand<TBool> p = MetricInputs.cast(tf, a.predictions(), TBool.class);
    Operand<TBool> truePositive = tf.math.logicalAnd(l, p);
    Operand<TBool> other =
        ratio == Ratio.PRECISION
            ? tf.math.logicalAnd(tf.math.logicalNot(l), p)
            : tf.math.logicalAnd(l, tf.math.logicalNot(p));
    Operand<TFloat32> w =
        a.weights() == null ? null : MetricInputs.cast(tf, a.weights(), TFloat32.class);
    if (w != null) {
      int rank = MetricInputs.rank(metric, "weights", w);
      int valuesRank = truePositive.shape().numDimensions();
      if (rank != 0 && rank != valuesRank) {
        throw new IllegalArgumentException(
            metric
                + ": weights must be a scalar or have the rank of the predictions ("
                + valuesRank
                + "), but have shape "
                + w.shape());
      }
    }
    Variable<TFloat32> tp = scope.float32("true_positives/count", Shape.scalar());
    Operand<TFloat32> tpUpdate = count(tf, tp, truePositive, w);
    Variable<TFloat32> otherCount = scope.float32(ratio.other + "/count", Shape.scalar());
    Operand<TFloat32> otherUpdate = count(tf, otherCount, other, w);
    Operand<TFloat32> value = divide(tf, scope.read(tp), scope.read(otherCount), "value");
    Operand<TFloat32> update = divide(tf, tpUpdate, otherUpdate, "update_op");
    return new Metric(scope.name(), value.asOutput(), update.asOutput(), scope.variables());
  }

  private static Operand<TFloat32> count(
      Ops tf, Variable<TFloat32> count, Operand<TBool> condition, Operand<TFloat32> weights) {
    Operand<TFloat32> values = tf.dtypes.cast(condition, TFloat32.class);
    if (weights != null) {
      values = tf.math.mul(values, weights);
    }
    return tf.assignAdd(count, tf.reduceSum(values, MetricInputs.allAxes(tf, values)));
  }

  /** {@code tp / (tp + other)} where the sum is positive, else 0 (TF's {@code where}, not NaN). */
  private static Operand<TFloat32> divide(
      Ops tf, Operand<TFloat32> tp, Operand<TFloat32> other, String name) {
    Operand<TFloat32> sum = tf.math.add(tp, other);
    return tf.withName(name)
        .select(
            tf.math.greater(sum, tf.constant(0f)),
            tf.math.div(tp, sum),
            tf.constant(0f));
  }
}

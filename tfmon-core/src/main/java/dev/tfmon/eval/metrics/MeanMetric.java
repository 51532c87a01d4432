package dev.tfmon.eval.metrics;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * TF 1.x's {@code metrics.mean} and the metrics made of it ({@code accuracy}: the mean of
 * "prediction equals label"; {@code mean_squared_error}: the mean of squared differences): a
 * {@code total} and a {@code count} variable; value {@code total / count}, 0 when the count is 0.
 */
final class MeanMetric {
  private MeanMetric() {}

  static Metric mean(MetricScope scope, Operand<?> values, Operand<?> weights) {
    Ops tf = scope.ops();
    String metric = scope.requested();
    MetricInputs.rank(metric, "values", values);
    Operand<TFloat32> x = MetricInputs.cast(tf, values, TFloat32.class);
    Variable<TFloat32> total = scope.float32("total", Shape.scalar());
    Variable<TFloat32> count = scope.float32("count", Shape.scalar());
    Operand<TFloat32> numValues;
    if (weights == null) {
      numValues = tf.dtypes.cast(tf.size(x), TFloat32.class);
    } else {
      MetricInputs.Aligned a = MetricInputs.align(metric, scope.graph(), null, x, weights);
      x = MetricInputs.cast(tf, a.predictions(), TFloat32.class);
      Operand<TFloat32> w =
          MetricInputs.broadcastWeights(
              metric, tf, MetricInputs.cast(tf, a.weights(), TFloat32.class), x);
      x = tf.math.mul(x, w);
      numValues = sum(tf, w);
    }
    Operand<TFloat32> updateTotal = tf.assignAdd(total, sum(tf, x));
    Operand<TFloat32> updateCount =
        tf.withControlDependencies(java.util.List.of(x)).assignAdd(count, numValues);
    Operand<TFloat32> zero = tf.constant(0f);
    Operand<TFloat32> value =
        tf.withName("value")
            .math
            .divNoNan(scope.read(total), tf.math.maximum(scope.read(count), zero));
    Operand<TFloat32> update =
        tf.withName("update_op").math.divNoNan(updateTotal, tf.math.maximum(updateCount, zero));
    return new Metric(scope.name(), value.asOutput(), update.asOutput(), scope.variables());
  }

  /** The mean of "{@code predictions} equals {@code labels}" (predictions cast to the labels' type). */
  static Metric accuracy(
      MetricScope scope, Operand<?> labels, Operand<?> predictions, Operand<?> weights) {
    Ops tf = scope.ops();
    MetricInputs.Aligned a =
        MetricInputs.align(scope.requested(), scope.graph(), labels, predictions, weights);
    Operand<?> p = a.predictions();
    if (!p.type().equals(a.labels().type())) {
      p = tf.dtypes.cast(p, a.labels().type());
    }
    Operand<TFloat32> correct = tf.dtypes.cast(tf.math.equal(anyType(p), anyType(a.labels())), TFloat32.class);
    return mean(scope, correct, a.weights());
  }

  /** The mean of {@code (labels - predictions)^2} (both of one dtype, as TensorFlow requires). */
  static Metric meanSquaredError(
      MetricScope scope, Operand<?> labels, Operand<?> predictions, Operand<?> weights) {
    Ops tf = scope.ops();
    MetricInputs.Aligned a =
        MetricInputs.align(scope.requested(), scope.graph(), labels, predictions, weights);
    if (!a.labels().type().equals(a.predictions().type())) {
      throw new IllegalArgumentException(
          scope.requested()
              + ": labels are "
              + a.labels().asOutput().dataType()
              + " but predictions are "
              + a.predictions().asOutput().dataType()
              + "; cast one to the other's type");
    }
    Operand<?> squared = tf.math.squaredDifference(anyType(a.labels()), anyType(a.predictions()));
    return mean(scope, squared, a.weights());
  }

  private static <T extends TType> Operand<T> sum(Ops tf, Operand<T> x) {
    return tf.reduceSum(x, MetricInputs.allAxes(tf, x));
  }

  @SuppressWarnings("unchecked")
  private static <T extends TType> Operand<T> anyType(Operand<?> x) {
    return (Operand<T>) x;
  }
}

package dev.tfmon.eval.metrics;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Stack;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * The streaming confusion matrix TF 1.x accumulates for {@code metrics.mean_iou}: a float64 {@code
 * [numClasses, numClasses]} variable {@code total_confusion_matrix}, rows the true class, columns
 * the predicted class, each example adding 1 (or its weight) to its cell. Classes outside {@code
 * [0, numClasses)} fail the run with INVALID_ARGUMENT.
 */
final class ConfusionMatrixMetric {
  private ConfusionMatrixMetric() {}

  static Metric build(
      MetricScope scope, Operand<?> labels, Operand<?> predictions, Operand<?> weights, int numClasses) {
    Ops tf = scope.ops();
    String metric = scope.requested();
    MetricInputs.rank(metric, "labels", labels);
    MetricInputs.rank(metric, "predictions", predictions);
    Variable<TFloat64> total =
        scope.float64("total_confusion_matrix", Shape.of(numClasses, numClasses));
    Operand<TInt64> p = flat(tf, MetricInputs.cast(tf, predictions, TInt64.class));
    Operand<TInt64> l = flat(tf, MetricInputs.cast(tf, labels, TInt64.class));
    Operand<?> w = weights == null ? null : weights;
    if (w != null && MetricInputs.rank(metric, "weights", w) > 1) {
      w = tf.reshape(w, tf.constant(new long[] {-1}));
    }
    MetricInputs.Aligned a = MetricInputs.align(metric, scope.graph(), l, p, null);
    l = checked(tf, metric, "labels", MetricInputs.cast(tf, a.labels(), TInt64.class), numClasses);
    p = checked(tf, metric, "predictions", MetricInputs.cast(tf, a.predictions(), TInt64.class), numClasses);
    Operand<TFloat64> values;
    if (w == null) {
      values = tf.onesLike(tf.dtypes.cast(p, TFloat64.class));
    } else {
      if (!p.shape().isCompatibleWith(w.shape())) {
        throw new IllegalArgumentException(
            metric + ": weights of shape " + w.shape() + " do not match predictions of shape "
                + p.shape());
      }
      values = MetricInputs.cast(tf, w, TFloat64.class);
    }
    Operand<TInt64> indices = tf.stack(List.of(l, p), Stack.axis(1L));
    Operand<TFloat64> batch =
        tf.scatterNd(indices, values, tf.constant(new long[] {numClasses, numClasses}));
    Operand<TFloat64> update = tf.withName("update_op").identity(tf.assignAdd(total, batch));
    Operand<TFloat64> value = tf.withName("value").identity(scope.read(total));
    return new Metric(scope.name(), value.asOutput(), update.asOutput(), scope.variables());
  }

  private static Operand<TInt64> flat(Ops tf, Operand<TInt64> x) {
    return x.shape().numDimensions() > 1 ? tf.reshape(x, tf.constant(new long[] {-1})) : x;
  }

  /** {@code x} once every element is known to be in {@code [0, numClasses)}. */
  private static Operand<TInt64> checked(
      Ops tf, String metric, String role, Operand<TInt64> x, int numClasses) {
    Operand<TBool> ok =
        tf.reduceAll(
            tf.math.logicalAnd(
                tf.math.greaterEqual(x, tf.constant(0L)),
                tf.math.less(x, tf.constant((long) numClasses))),
            MetricInputs.allAxes(tf, x));
    var check =
        tf.assertThat(
            ok,
            List.of(
                tf.constant(
                    metric + ": every class in " + role + " must be in [0, " + numClasses
                        + "); got min and max"),
                tf.min(x, MetricInputs.allAxes(tf, x)),
                tf.max(x, MetricInputs.allAxes(tf, x))));
    return tf.withControlDependencies(List.of(check)).identity(x);
  }
}

package dev.tfmon.eval.metrics;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * TF 1.x's {@code metrics.auc}: a Riemann sum over the ROC or precision-recall curve drawn through
 * the confusion counts at each threshold. Rates use TF's smoothing ({@code (tp + 1e-6) / (tp + fn +
 * 1e-6)}, {@code fp / (fp + tn + 1e-6)}); the PR curve with careful interpolation integrates
 * precision exactly between thresholds (Davis and Goadrich), with zero where a denominator is zero.
 */
final class AucMetric {
  private static final float EPSILON = 1.0e-6f;

  private AucMetric() {}

  static Metric build(
      MetricScope scope,
      Operand<?> labels,
      Operand<?> predictions,
      Operand<?> weights,
      float[] thresholds,
      AucBuilder.Curve curve,
      AucBuilder.Summation summation) {
    ThresholdCounts counts = ThresholdCounts.build(scope, labels, predictions, weights, thresholds);
    Ops tf = scope.ops();
    Area area = new Area(tf, thresholds.length, curve, summation);
    Operand<TFloat32> value = area.of(counts.values, "value");
    Operand<TFloat32> update = area.of(counts.updates, "update_op");
    return new Metric(scope.name(), value.asOutput(), update.asOutput(), scope.variables());
  }

  /** The area under one curve, from four count vectors of {@code n} thresholds. */
  private record Area(Ops tf, int n, AucBuilder.Curve curve, AucBuilder.Summation summation) {

    Operand<TFloat32> of(ThresholdCounts.Counts c, String name) {
      if (curve == AucBuilder.Curve.PR && summation == AucBuilder.Summation.CAREFUL_INTERPOLATION) {
        return interpolatedPr(c, name);
      }
      Operand<TFloat32> eps = tf.constant(EPSILON);
      Operand<TFloat32> recall =
          tf.math.div(tf.math.add(c.tp(), eps), tf.math.add(tf.math.add(c.tp(), c.fn()), eps));
      Operand<TFloat32> x;
      Operand<TFloat32> y;
      if (curve == AucBuilder.Curve.ROC) {
        x = tf.math.div(c.fp(), tf.math.add(tf.math.add(c.fp(), c.tn()), eps));
        y = recall;
      } else {
        x = recall;
        y = tf.math.div(tf.math.add(c.tp(), eps), tf.math.add(tf.math.add(c.tp(), c.fp()), eps));
      }
      Operand<TFloat32> widths = tf.math.sub(head(x), tail(x));
      Operand<TFloat32> heights;
      switch (summation) {
        case MINORING:
          heights = tf.math.minimum(head(y), tail(y));
          break;
        case MAJORING:
          heights = tf.math.maximum(head(y), tail(y));
          break;
        default:
          heights = tf.math.div(tf.math.add(head(y), tail(y)), tf.constant(2f));
          break;
      }
      return tf.withName(name).reduceSum(tf.math.mul(widths, heights), tf.constant(0));
    }

    /**
     * Between two thresholds precision is {@code dtp / dp}-sloped in the number of predicted
     * positives p, so its integral over recall has a closed form with a log term.
     */
    private Operand<TFloat32> interpolatedPr(ThresholdCounts.Counts c, String name) {
      Operand<TFloat32> zero = tf.constant(0f);
      Operand<TFloat32> dtp = tf.math.sub(head(c.tp()), tail(c.tp()));
      Operand<TFloat32> p = tf.math.add(c.tp(), c.fp());
      Operand<TFloat32> slope =
          tf.math.divNoNan(dtp, tf.math.maximum(tf.math.sub(head(p), tail(p)), zero));
      Operand<TFloat32> intercept = tf.math.sub(tail(c.tp()), tf.math.mul(slope, tail(p)));
      Operand<TFloat32> ratio =
          tf.select(
              tf.math.logicalAnd(tf.math.greater(head(p), zero), tf.math.greater(tail(p), zero)),
              tf.math.divNoNan(head(p), tf.math.maximum(tail(p), zero)),
              tf.onesLike(tail(p)));
      Operand<TFloat32> increments =
          tf.math.divNoNan(
              tf.math.mul(slope, tf.math.add(dtp, tf.math.mul(intercept, tf.math.log(ratio)))),
              tf.math.maximum(tf.math.add(tail(c.tp()), tail(c.fn())), zero));
      return tf.withName(name).reduceSum(increments, tf.constant(0));
    }

    private Operand<TFloat32> head(Operand<TFloat32> v) {
      return tf.slice(v, tf.constant(new int[] {0}), tf.constant(new int[] {n - 1}));
    }

    private Operand<TFloat32> tail(Operand<TFloat32> v) {
      return tf.slice(v, tf.constant(new int[] {1}), tf.constant(new int[] {n - 1}));
    }
  }
}

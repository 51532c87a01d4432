package dev.tfmon.eval.metrics;

import java.util.Arrays;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TNumber;

/**
 * Builds an AUC metric with TF 1.x's {@code tf.compat.v1.metrics.auc} semantics and defaults: ROC
 * curve, 200 thresholds spread evenly over [0, 1] (plus one just below 0 and one just above 1),
 * trapezoidal summation. Labels are read as booleans; predictions must lie in [0, 1].
 *
 * <pre>{@code
 * Metric rocAuc = StreamingMetrics.auc(labels, probabilities).build();
 * Metric prAuc = StreamingMetrics.auc(labels, probabilities)
 *     .curve(AucBuilder.Curve.PR)
 *     .summation(AucBuilder.Summation.CAREFUL_INTERPOLATION)
 *     .numThresholds(500)
 *     .weights(exampleWeights)
 *     .name("pr_auc")
 *     .build();
 * }</pre>
 */
public final class AucBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(AucBuilder.class);
  /** TF's default number of thresholds. */
  public static final int DEFAULT_NUM_THRESHOLDS = 200;
  // Python adds the end thresholds at 0 - 1e-7 and 1 + 1e-7, in float32.
  private static final double END_EPSILON = 1e-7;

  /** The curve whose area is computed. */
  public enum Curve {
    /** True positive rate over false positive rate. */
    ROC,
    /** Precision over recall. */
    PR
  }

  /** How the area between two thresholds is summed ({@code summation_method}). */
  public enum Summation {
    /** Trapezoids (TF's default; for PR, TF warns that they give wrong areas). */
    TRAPEZOIDAL,
    /** Exact integral of the interpolated PR curve; for ROC the same as trapezoidal. */
    CAREFUL_INTERPOLATION,
    /** Rectangles of the lower height: a lower bound. */
    MINORING,
    /** Rectangles of the higher height: an upper bound. */
    MAJORING
  }

  private final Graph graph;
  private final Operand<?> labels;
  private final Operand<?> predictions;
  private Operand<?> weights;
  private String name = "auc";
  private Curve curve = Curve.ROC;
  private Summation summation = Summation.TRAPEZOIDAL;
  private Integer numThresholds;
  private float[] thresholds;

  AucBuilder(Graph graph, Operand<?> labels, Operand<?> predictions) {
    this.graph = graph;
    this.labels = Objects.requireNonNull(labels, "labels");
    this.predictions = Objects.requireNonNull(predictions, "predictions");
  }

  /** Per-example weights: a scalar, or a tensor that broadcasts to the predictions. */
  public AucBuilder weights(Operand<? extends TNumber> weights) {
    this.weights = weights;
    return this;
  }

  /** The metric's name scope (default {@code "auc"}; made unique in the graph). */
  public AucBuilder name(String name) {
    this.name = name;
    return this;
  }

  public AucBuilder curve(Curve curve) {
    this.curve = Objects.requireNonNull(curve, "curve");
    return this;
  }

  public AucBuilder summation(Summation summation) {
    this.summation = Objects.requireNonNull(summation, "summation");
    return this;
  }

  /** How many thresholds (at least 2, default 200), evenly spaced, the two ends included. */
  public AucBuilder numThresholds(int numThresholds) {
    this.numThresholds = numThresholds;
    return this;
  }

  /**
   * Explicit thresholds instead of evenly spaced ones (sorted here); the ends just below 0 and just
   * above 1 are added, as TF does.
   */
  public AucBuilder thresholds(float... thresholds) {
    this.thresholds = thresholds.clone();
    return this;
  }

  /**
   * Builds the metric's variables and ops.
   *
   * @throws IllegalArgumentException for a bad setting (naming it and its value) or inputs whose
   *     shapes do not line up
   */
  public Metric build() {
    MetricScope.checkName(name);
    MetricScope.checkWeights(graph, name, weights);
    float[] all = allThresholds();
    if (curve == Curve.PR && summation == Summation.TRAPEZOIDAL) {
      LOG.warn(
          "AUC '{}': trapezoids misjudge the area under a precision-recall curve; "
              + "Summation.CAREFUL_INTERPOLATION computes it exactly",
          name);
    }
    MetricScope scope = MetricScope.open(graph, name);
    return AucMetric.build(scope, labels, predictions, weights, all, curve, summation);
  }

  private float[] allThresholds() {
    float[] inner;
    if (thresholds != null) {
      if (numThresholds != null) {
        throw new IllegalArgumentException(
            "AUC '" + name + "': set numThresholds (" + numThresholds + ") or thresholds "
                + Arrays.toString(thresholds) + ", not both");
      }
      for (float t : thresholds) {
        if (!Float.isFinite(t)) {
          throw new IllegalArgumentException(
              "AUC '" + name + "': thresholds must be finite, but got " + Arrays.toString(thresholds));
        }
      }
      inner = thresholds.clone();
      Arrays.sort(inner);
    } else {
      int n = numThresholds == null ? DEFAULT_NUM_THRESHOLDS : numThresholds;
      if (n < 2) {
        throw new IllegalArgumentException(
            "AUC '" + name + "': numThresholds must be at least 2, but got " + n);
      }
      inner = new float[n - 2];
      for (int i = 0; i < n - 2; i++) {
        inner[i] = (float) ((i + 1) * 1.0 / (n - 1));
      }
    }
    float[] all = new float[inner.length + 2];
    all[0] = (float) (0.0 - END_EPSILON);
    System.arraycopy(inner, 0, all, 1, inner.length);
    all[all.length - 1] = (float) (1.0 + END_EPSILON);
    return all;
  }
}

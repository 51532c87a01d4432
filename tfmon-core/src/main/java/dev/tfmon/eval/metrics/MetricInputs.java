package dev.tfmon.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.framework.metrics.impl.MetricsHelper;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * How TF 1.x's metrics line up their inputs, for inputs of known rank: a trailing dimension of size
 * 1 is squeezed from predictions or labels when their ranks differ by one ({@code
 * remove_squeezable_dimensions}); weights one rank above or below the predictions lose or gain a
 * trailing dimension; weights are broadcast to the values' shape ({@code broadcast_weights}).
 */
final class MetricInputs {
  private MetricInputs() {}

  /** Labels and predictions after TF's squeeze; {@code labels} may be null (a mean's values). */
  record Aligned(Operand<?> labels, Operand<?> predictions, Operand<?> weights) {}

  /**
   * @throws IllegalArgumentException if a rank is unknown, an input belongs to another graph, or
   *     the shapes do not line up
   */
  static Aligned align(
      String metric, Graph graph, Operand<?> labels, Operand<?> predictions, Operand<?> weights) {
    Ops tf = Ops.create(graph);
    sameGraph(metric, graph, "predictions", predictions);
    int predictionsRank = rank(metric, "predictions", predictions);
    if (labels != null) {
      sameGraph(metric, graph, "labels", labels);
      int labelsRank = rank(metric, "labels", labels);
      int diff = predictionsRank - labelsRank;
      if (diff == 1 && lastDimMayBeOne(predictions)) {
        predictions = squeezeLast(tf, predictions);
      } else if (diff == -1 && lastDimMayBeOne(labels)) {
        labels = squeezeLast(tf, labels);
      }
      if (!predictions.shape().isCompatibleWith(labels.shape())) {
        throw new IllegalArgumentException(
            metric
                + ": predictions of shape "
                + predictions.shape()
                + " do not match labels of shape "
                + labels.shape());
      }
    }
    if (weights != null) {
      sameGraph(metric, graph, "weights", weights);
      int weightsRank = rank(metric, "weights", weights);
      int rank = predictions.shape().numDimensions();
      if (weightsRank != 0) {
        if (weightsRank - rank == 1) {
          weights = squeezeLast(tf, weights);
        } else if (rank - weightsRank == 1) {
          weights = tf.expandDims(weights, tf.constant(-1));
        }
      }
    }
    return new Aligned(labels, predictions, weights);
  }

  /**
   * {@code weights} (float32) times ones shaped like {@code values}, with TF's checks: statically
   * when both shapes are known, else an assertion that fails the run.
   */
  static Operand<TFloat32> broadcastWeights(
      String metric, Ops tf, Operand<TFloat32> weights, Operand<TFloat32> values) {
    try {
      return MetricsHelper.broadcastWeights(tf, weights, values);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          metric
              + ": weights of shape "
              + weights.shape()
              + " cannot be broadcast to values of shape "
              + values.shape(),
          e);
    }
  }

  /** The known rank of {@code x}. */
  static int rank(String metric, String role, Operand<?> x) {
    Shape shape = x.shape();
    if (shape.isUnknown()) {
      throw new IllegalArgumentException(
          metric + ": the rank of " + role + " '" + x.asOutput().op().name()
              + "' is unknown; give the placeholder or input a shape");
    }
    return shape.numDimensions();
  }

  /** A reduction over every axis of an input of known rank, as Python's {@code reduce_sum(x)}. */
  static Operand<TInt32> allAxes(Ops tf, Operand<?> x) {
    int rank = x.shape().numDimensions();
    int[] axes = new int[rank];
    for (int i = 0; i < rank; i++) {
      axes[i] = i;
    }
    return tf.constant(axes);
  }

  private static void sameGraph(String metric, Graph graph, String role, Operand<?> x) {
    if (x.env() != graph) {
      throw new IllegalArgumentException(
          metric + ": " + role + " '" + x.asOutput().op().name() + "' belong to another graph");
    }
  }

  private static boolean lastDimMayBeOne(Operand<?> x) {
    Shape s = x.shape();
    long last = s.size(s.numDimensions() - 1);
    return last == 1 || last == Shape.UNKNOWN_SIZE;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Operand<?> squeezeLast(Ops tf, Operand<?> x) {
    List<Long> axis = new ArrayList<>();
    axis.add(-1L);
    return tf.squeeze((Operand) x, Squeeze.axis(axis));
  }

  @SuppressWarnings("unchecked")
  static <T extends TType> Operand<T> cast(Ops tf, Operand<?> x, Class<T> type) {
    if (type.isAssignableFrom(x.type())) {
      return (Operand<T>) x;
    }
    return tf.dtypes.cast(x, type);
  }
}

package dev.tfmon.bench;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.summary.Summaries;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * A one-hidden-layer regression network with a global step, a scalar loss summary and a train op
 * that increments the step: the graph the training-session benchmarks run. Its step time grows
 * with {@code batch} and {@code hidden}.
 */
record TrainingModel(
    Placeholder<TFloat32> x, Placeholder<TFloat32> y, Operand<TFloat32> loss, Operation train, float[][] xs, float[][] ys) {

  static TrainingModel build(Graph g, int batch, int hidden) {
    GlobalStep.getOrCreate(g);
    Ops tf = Ops.create(g);
    Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 16)));
    Placeholder<TFloat32> y = tf.withName("y").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
    Variable<TFloat32> w1 = tf.withName("w1").variable(tf.random.truncatedNormal(tf.constant(new long[] {16, hidden}), TFloat32.class));
    Variable<TFloat32> w2 = tf.withName("w2").variable(tf.random.truncatedNormal(tf.constant(new long[] {hidden, 1}), TFloat32.class));
    var h = tf.nn.relu(tf.linalg.matMul(x, w1));
    var loss = tf.withName("loss").math.mean(tf.math.square(tf.math.sub(tf.linalg.matMul(h, w2), y)), tf.constant(new int[] {0, 1}));
    Summaries.scalar(g, "loss", loss);
    Operation train = TrainOps.minimize(new org.tensorflow.framework.optimizers.GradientDescent(g, 0.001f), loss, "train_op");
    float[][] xs = new float[batch][16];
    float[][] ys = new float[batch][1];
    Random rnd = new Random(1);
    for (float[] row : xs) {
      for (int j = 0; j < row.length; j++) {
        row[j] = (float) rnd.nextGaussian();
      }
    }
    for (float[] row : ys) {
      row[0] = (float) rnd.nextGaussian();
    }
    return new TrainingModel(x, y, loss, train, xs, ys);
  }

  /** A {@code rows × cols} batch of standard normal values drawn with {@code seed}. */
  static TFloat32 batch(int rows, int cols, long seed) {
    float[][] values = new float[rows][cols];
    Random rnd = new Random(seed);
    for (float[] row : values) {
      for (int j = 0; j < cols; j++) {
        row[j] = (float) rnd.nextGaussian();
      }
    }
    return TFloat32.tensorOf(StdArrays.ndCopyOf(values));
  }

  TFloat32 xTensor() {
    return TFloat32.tensorOf(StdArrays.ndCopyOf(xs));
  }

  TFloat32 yTensor() {
    return TFloat32.tensorOf(StdArrays.ndCopyOf(ys));
  }
}

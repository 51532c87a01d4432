package dev.tfmon.eval;

import dev.tfmon.eval.metrics.MetricGroup;
import dev.tfmon.eval.metrics.StreamingMetrics;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.schedule.LearningRateSchedule;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A regression built to plateau, for early-stopping tests (issue 12): {@code y = w x + b} fitted
 * by gradient descent to {@code y = 2x + 1} with a learning rate of 0.02 up to global step {@link
 * #LAST_LEARNING_STEP} and 0 after (a piecewise-constant schedule). The weights change in the runs
 * up to that step and never after, so the held-out loss decreases, then stays exactly the same.
 * With an evaluation every 10 steps and patience 3: the last improvement is at step 50, the rule
 * fires at step 80.
 *
 * @param train one training step
 * @param loss the training batch's loss
 */
record PlateauModel(Operation train, Operand<TFloat32> loss) {
  /** The last global step whose run has a non-zero learning rate is this + 1. */
  static final long LAST_LEARNING_STEP = 45;

  private static final float[] TRAIN_X = {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f, 2f, 2.5f};
  private static final float[] EVAL_X = {-0.75f, 0.25f, 1.25f, 2.25f};

  static PlateauModel build(Graph graph) {
    return build(graph, 0.0);
  }

  /**
   * The model with {@code laterRate} as the rate after {@link #LAST_LEARNING_STEP}: a negative one
   * walks the weights away from the fit, so the held-out loss gets worse after its best.
   */
  static PlateauModel build(Graph graph, double laterRate) {
    GlobalStep.getOrCreate(graph);
    Ops tf = Ops.create(graph);
    var w = tf.withName("w").variable(tf.constant(0f));
    var b = tf.withName("b").variable(tf.constant(0f));
    Operand<TFloat32> x = tf.constant(TRAIN_X);
    Operand<TFloat32> y = tf.constant(targets(TRAIN_X));
    Operand<TFloat32> loss = tf.withName("loss").math.mean(
        tf.math.square(tf.math.sub(tf.math.add(tf.math.mul(x, w), b), y)), tf.constant(0));
    Operand<TFloat32> lr = LearningRateSchedule
        .piecewiseConstant(new long[] {LAST_LEARNING_STEP}, new double[] {0.02, laterRate})
        .learningRate(graph);
    Operation train = TrainOps.minimize(new GradientDescent(graph, 0.02f), lr, loss, "train_op");
    return new PlateauModel(train, loss);
  }

  /** The held-out evaluation: the mean squared error ("loss") on four other points of the line. */
  static EvalModel evalModel() {
    return graph -> {
      Ops tf = Ops.create(graph);
      var w = tf.withName("w").variable(tf.constant(0f));
      var b = tf.withName("b").variable(tf.constant(0f));
      Operand<TFloat32> x = tf.constant(EVAL_X);
      Operand<TFloat32> err = tf.math.square(tf.math.sub(tf.math.add(tf.math.mul(x, w), b), tf.constant(targets(EVAL_X))));
      return EvalGraph.of(MetricGroup.of(StreamingMetrics.mean(err).name("loss").build()));
    };
  }

  private static float[] targets(float[] xs) {
    float[] ys = new float[xs.length];
    for (int i = 0; i < xs.length; i++) {
      ys[i] = 2f * xs[i] + 1f;
    }
    return ys;
  }
}

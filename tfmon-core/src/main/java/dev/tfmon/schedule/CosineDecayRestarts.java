package dev.tfmon.schedule;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * Cosine decay with warm restarts (SGDR): the first period lasts {@code firstDecaySteps}, each
 * next one {@code tMul} times longer and starting {@code mMul} times lower; within a period the
 * multiplier falls from its start to {@code alpha} along a half cosine. TF 1.x's {@code
 * cosine_decay_restarts} (defaults there: tMul 2, mMul 1, alpha 0).
 *
 * <pre>{@code
 * LearningRateSchedule lr = LearningRateSchedule.cosineDecayRestarts(0.1, 1000, 2.0, 1.0, 0.0);
 * }</pre>
 */
public record CosineDecayRestarts(
    double rate, long firstDecaySteps, double tMul, double mMul, double alpha)
    implements LearningRateSchedule {

  public CosineDecayRestarts {
    ScheduleOps.checkFinite("cosine decay restarts", "rate", rate);
    ScheduleOps.checkPositive("cosine decay restarts", "firstDecaySteps", firstDecaySteps);
    if (!(tMul > 0) || !Double.isFinite(tMul)) {
      throw new IllegalArgumentException(
          "cosine decay restarts: tMul must be a positive number, but got " + tMul);
    }
    ScheduleOps.checkFinite("cosine decay restarts", "mMul", mMul);
    ScheduleOps.checkFinite("cosine decay restarts", "alpha", alpha);
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "SGDRDecay");
    var tf = ops.tf;
    Operand<TFloat32> t = ops.c(tMul);
    Operand<TFloat32> completed = tf.math.div(ops.step, ops.c(firstDecaySteps));
    Operand<TFloat32> restart;
    if ((float) tMul == 1f) {
      restart = tf.math.floor(completed);
      completed = tf.math.sub(completed, restart);
    } else {
      // Periods grow geometrically: the restart index solves a geometric sum for the step.
      Operand<TFloat32> oneMinusT = tf.math.sub(ops.c(1), t);
      restart =
          tf.math.floor(
              tf.math.div(
                  tf.math.log(tf.math.sub(ops.c(1), tf.math.mul(completed, oneMinusT))),
                  tf.math.log(t)));
      Operand<TFloat32> done = tf.math.div(tf.math.sub(ops.c(1), tf.math.pow(t, restart)), oneMinusT);
      completed = tf.math.div(tf.math.sub(completed, done), tf.math.pow(t, restart));
    }
    Operand<TFloat32> start = tf.math.pow(ops.c(mMul), restart);
    Operand<TFloat32> cosine =
        tf.math.mul(
            tf.math.mul(ops.c(0.5), start),
            tf.math.add(ops.c(1), tf.math.cos(tf.math.mul(ops.c(Math.PI), completed))));
    Operand<TFloat32> a = ops.c(alpha);
    Operand<TFloat32> decayed = tf.math.add(tf.math.mul(tf.math.sub(ops.c(1), a), cosine), a);
    return tf.withName("learning_rate").math.mul(ops.c(rate), decayed);
  }
}

package dev.tfmon.schedule;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * {@code rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decaySteps) / decaySteps)) + alpha)}:
 * TF 1.x's {@code cosine_decay}, from {@code rate} down to {@code alpha * rate}.
 *
 * <pre>{@code
 * LearningRateSchedule lr = LearningRateSchedule.cosineDecay(0.1, 10_000, 0.0);
 * }</pre>
 */
public record CosineDecay(double rate, long decaySteps, double alpha) implements LearningRateSchedule {

  public CosineDecay {
    ScheduleOps.checkFinite("cosine decay", "rate", rate);
    ScheduleOps.checkPositive("cosine decay", "decaySteps", decaySteps);
    ScheduleOps.checkFinite("cosine decay", "alpha", alpha);
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "CosineDecay");
    var tf = ops.tf;
    Operand<TFloat32> steps = ops.c(decaySteps);
    Operand<TFloat32> completed = tf.math.div(tf.math.minimum(ops.step, steps), steps);
    Operand<TFloat32> cosine =
        tf.math.mul(
            ops.c(0.5), tf.math.add(ops.c(1), tf.math.cos(tf.math.mul(ops.c(Math.PI), completed))));
    // TF subtracts alpha from 1 in double precision, before converting to float32.
    Operand<TFloat32> decayed = tf.math.add(tf.math.mul(ops.c(1 - alpha), cosine), ops.c(alpha));
    return tf.withName("learning_rate").math.mul(ops.c(rate), decayed);
  }
}

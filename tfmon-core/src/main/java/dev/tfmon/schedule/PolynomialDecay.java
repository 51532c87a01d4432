package dev.tfmon.schedule;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * From {@code rate} to {@code endRate} over {@code decaySteps} steps along {@code (1 -
 * step/decaySteps) ^ power}, then {@code endRate}; with {@code cycle}, {@code decaySteps} becomes
 * the first multiple of itself at or above the step, so the decay restarts: TF 1.x's {@code
 * polynomial_decay}.
 *
 * <pre>{@code
 * // from 0.1 to 0.01 in 10 000 steps along a square root
 * LearningRateSchedule lr = LearningRateSchedule.polynomialDecay(0.1, 10_000, 0.01, 0.5, false);
 * }</pre>
 */
public record PolynomialDecay(
    double rate, long decaySteps, double endRate, double power, boolean cycle)
    implements LearningRateSchedule {

  public PolynomialDecay {
    ScheduleOps.checkFinite("polynomial decay", "rate", rate);
    ScheduleOps.checkPositive("polynomial decay", "decaySteps", decaySteps);
    ScheduleOps.checkFinite("polynomial decay", "endRate", endRate);
    ScheduleOps.checkFinite("polynomial decay", "power", power);
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "PolynomialDecay");
    var tf = ops.tf;
    Operand<TFloat32> s = ops.step;
    Operand<TFloat32> steps = ops.c(decaySteps);
    if (cycle) {
      // Step 0 uses one period, not zero.
      Operand<TFloat32> multiplier =
          tf.select(
              tf.math.equal(s, ops.c(0)), ops.c(1), tf.math.ceil(tf.math.div(s, ops.c(decaySteps))));
      steps = tf.math.mul(steps, multiplier);
    } else {
      s = tf.math.minimum(s, steps);
    }
    Operand<TFloat32> p = tf.math.div(s, steps);
    Operand<TFloat32> span = tf.math.sub(ops.c(rate), ops.c(endRate));
    return tf.withName("learning_rate")
        .math
        .add(tf.math.mul(span, tf.math.pow(tf.math.sub(ops.c(1), p), ops.c(power))), ops.c(endRate));
  }
}

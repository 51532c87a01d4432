package dev.tfmon.schedule;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * {@code rate * decayRate ^ (step / decaySteps)}, the exponent floored when {@code staircase}: TF
 * 1.x's {@code exponential_decay}.
 *
 * <pre>{@code
 * // 0.1, times 0.96 every 1000 steps
 * LearningRateSchedule lr = LearningRateSchedule.exponentialDecay(0.1, 1000, 0.96, true);
 * }</pre>
 */
public record ExponentialDecay(double rate, long decaySteps, double decayRate, boolean staircase)
    implements LearningRateSchedule {

  public ExponentialDecay {
    ScheduleOps.checkDecay("exponential decay", rate, decaySteps, decayRate);
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "ExponentialDecay");
    Operand<TFloat32> p = ops.fraction(decaySteps, staircase);
    return ops.tf.withName("learning_rate").math.mul(ops.c(rate), ops.tf.math.pow(ops.c(decayRate), p));
  }
}

package dev.tfmon.schedule;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * {@code rate / (1 + decayRate * step / decaySteps)}, the quotient floored when {@code staircase}:
 * TF 1.x's {@code inverse_time_decay}.
 *
 * <pre>{@code
 * LearningRateSchedule lr = LearningRateSchedule.inverseTimeDecay(0.1, 100, 0.5, false);
 * }</pre>
 */
public record InverseTimeDecay(double rate, long decaySteps, double decayRate, boolean staircase)
    implements LearningRateSchedule {

  public InverseTimeDecay {
    ScheduleOps.checkDecay("inverse time decay", rate, decaySteps, decayRate);
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "InverseTimeDecay");
    Operand<TFloat32> p = ops.fraction(decaySteps, staircase);
    Operand<TFloat32> denominator = ops.tf.math.add(ops.c(1), ops.tf.math.mul(ops.c(decayRate), p));
    return ops.tf.withName("learning_rate").math.div(ops.c(rate), denominator);
  }
}

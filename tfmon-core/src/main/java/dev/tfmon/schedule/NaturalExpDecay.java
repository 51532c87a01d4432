package dev.tfmon.schedule;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * {@code rate * exp(-decayRate) ^ (step / decaySteps)}, the exponent floored when {@code
 * staircase}: TF 1.x's {@code natural_exp_decay} (computed, as there, as an exponential decay with
 * base {@code exp(-decayRate)}).
 *
 * <pre>{@code
 * LearningRateSchedule lr = LearningRateSchedule.naturalExpDecay(0.1, 100, 0.5, false);
 * }</pre>
 */
public record NaturalExpDecay(double rate, long decaySteps, double decayRate, boolean staircase)
    implements LearningRateSchedule {

  public NaturalExpDecay {
    ScheduleOps.checkDecay("natural exp decay", rate, decaySteps, decayRate);
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "NaturalExpDecay");
    Operand<TFloat32> base = ops.tf.math.exp(ops.tf.math.neg(ops.c(decayRate)));
    Operand<TFloat32> p = ops.fraction(decaySteps, staircase);
    return ops.tf.withName("learning_rate").math.mul(ops.c(rate), ops.tf.math.pow(base, p));
  }
}

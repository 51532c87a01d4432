package dev.tfmon.schedule;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * The same rate at every step (what a float learning rate is, as a schedule: useful behind a
 * warm-up).
 *
 * <pre>{@code
 * LearningRateSchedule lr = LearningRateSchedule.constant(0.01).withLinearWarmup(1000);
 * }</pre>
 */
public record ConstantRate(double rate) implements LearningRateSchedule {

  public ConstantRate {
    ScheduleOps.checkFinite("constant rate", "rate", rate);
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "Constant");
    return ops.tf.withName("learning_rate").identity(ops.c(rate));
  }
}

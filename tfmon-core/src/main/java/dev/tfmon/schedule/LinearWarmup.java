package dev.tfmon.schedule;

import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * A linear warm-up in front of another schedule, as Google's TF 1.x BERT writes it: while {@code
 * step < warmupSteps} the rate is {@code peak * step / warmupSteps} ({@code peak}: the schedule's
 * rate at step 0), then the schedule's own rate at that step. Step 0 has rate 0.
 *
 * <pre>{@code
 * LearningRateSchedule lr = LearningRateSchedule.polynomialDecay(1e-4, 100_000, 0, 1, false).withLinearWarmup(10_000);
 * }</pre>
 */
public record LinearWarmup(LearningRateSchedule schedule, long warmupSteps)
    implements LearningRateSchedule {

  public LinearWarmup {
    Objects.requireNonNull(schedule, "schedule");
    ScheduleOps.checkPositive("linear warm-up", "warmupSteps", warmupSteps);
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    Operand<TFloat32> after = schedule.rateAt(step);
    ScheduleOps ops = ScheduleOps.of(step, "LinearWarmup");
    var tf = ops.tf;
    Operand<TFloat32> peak = schedule.rateAt(tf.constant(0L));
    Operand<TFloat32> warm = tf.math.mul(peak, tf.math.div(ops.step, ops.c(warmupSteps)));
    return tf.withName("learning_rate")
        .select(tf.math.less(ops.step, ops.c(warmupSteps)), warm, after);
  }
}

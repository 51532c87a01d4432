package dev.tfmon.schedule;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/**
 * {@code values[0]} while {@code step <= boundaries[0]}, {@code values[i]} while {@code
 * boundaries[i-1] < step <= boundaries[i]}, the last value after the last boundary: TF 1.x's
 * {@code piecewise_constant}.
 *
 * <pre>{@code
 * // 1.0 up to step 100 000, 0.5 up to 110 000, then 0.1
 * LearningRateSchedule lr =
 *     LearningRateSchedule.piecewiseConstant(new long[] {100_000, 110_000}, new double[] {1.0, 0.5, 0.1});
 * }</pre>
 *
 * @param boundaries strictly increasing steps
 * @param values one more than the boundaries
 */
public record PiecewiseConstant(List<Long> boundaries, List<Double> values)
    implements LearningRateSchedule {

  public PiecewiseConstant {
    boundaries = List.copyOf(boundaries);
    values = List.copyOf(values);
    if (values.size() != boundaries.size() + 1) {
      throw new IllegalArgumentException(
          "piecewise constant: expected one more value than boundaries, but got "
              + values.size()
              + " values "
              + values
              + " for "
              + boundaries.size()
              + " boundaries "
              + boundaries);
    }
    for (int i = 1; i < boundaries.size(); i++) {
      if (boundaries.get(i) <= boundaries.get(i - 1)) {
        throw new IllegalArgumentException(
            "piecewise constant: boundaries must increase strictly, but got " + boundaries);
      }
    }
    for (double v : values) {
      ScheduleOps.checkFinite("piecewise constant", "every value", v);
    }
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "PiecewiseConstant");
    // Compared in float64: exact for every step below 2^53, whatever the step's integer type.
    Operand<TFloat64> x = ops.tf.dtypes.cast(step, TFloat64.class);
    Operand<TFloat32> rate = ops.c(values.get(values.size() - 1));
    for (int i = boundaries.size() - 1; i >= 0; i--) {
      Operand<TBool> atOrBefore =
          ops.tf.math.lessEqual(x, ops.tf.constant((double) boundaries.get(i)));
      rate = ops.tf.select(atOrBefore, ops.c(values.get(i)), rate);
    }
    return ops.tf.withName("learning_rate").identity(rate);
  }
}

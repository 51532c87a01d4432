package dev.tfmon.schedule;

import java.util.Arrays;
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
public record PiecewiseConstant(long[] boundaries, double[] values) implements LearningRateSchedule {

  public PiecewiseConstant {
    boundaries = boundaries.clone();
    values = values.clone();
    if (values.length != boundaries.length + 1) {
      throw new IllegalArgumentException(
          "piecewise constant: expected one more value than boundaries, but got "
              + values.length
              + " values "
              + Arrays.toString(values)
              + " for "
              + boundaries.length
              + " boundaries "
              + Arrays.toString(boundaries));
    }
    for (int i = 1; i < boundaries.length; i++) {
      if (boundaries[i] <= boundaries[i - 1]) {
        throw new IllegalArgumentException(
            "piecewise constant: boundaries must increase strictly, but got "
                + Arrays.toString(boundaries));
      }
    }
    for (double v : values) {
      ScheduleOps.checkFinite("piecewise constant", "every value", v);
    }
  }

  @Override
  public long[] boundaries() {
    return boundaries.clone();
  }

  @Override
  public double[] values() {
    return values.clone();
  }

  @Override
  public Operand<TFloat32> rateAt(Operand<? extends TNumber> step) {
    ScheduleOps ops = ScheduleOps.of(step, "PiecewiseConstant");
    // Compared in float64: exact for every step below 2^53, whatever the step's integer type.
    Operand<TFloat64> x = ops.tf.dtypes.cast(step, TFloat64.class);
    Operand<TFloat32> rate = ops.c(values[values.length - 1]);
    for (int i = boundaries.length - 1; i >= 0; i--) {
      Operand<TBool> atOrBefore = ops.tf.math.lessEqual(x, ops.tf.constant((double) boundaries[i]));
      rate = ops.tf.select(atOrBefore, ops.c(values[i]), rate);
    }
    return ops.tf.withName("learning_rate").identity(rate);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PiecewiseConstant p
        && Arrays.equals(boundaries, p.boundaries)
        && Arrays.equals(values, p.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(boundaries) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "PiecewiseConstant[boundaries=" + Arrays.toString(boundaries) + ", values="
        + Arrays.toString(values) + "]";
  }
}

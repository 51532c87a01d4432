package dev.tfmon.schedule;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * What every schedule starts with, as TF's schedules do: a name scope in the step's graph, and the
 * step and constants as float32 tensors (Python converts numbers to float32 before any
 * arithmetic, which the bit-exact results depend on).
 */
final class ScheduleOps {
  final Ops tf;
  final Operand<TFloat32> step;

  private ScheduleOps(Ops tf, Operand<TFloat32> step) {
    this.tf = tf;
    this.step = step;
  }

  static ScheduleOps of(Operand<? extends TNumber> step, String scope) {
    if (!(step.env() instanceof Graph)) {
      throw new IllegalArgumentException(
          "learning-rate schedules are graph ops, but the step '" + step + "' is eager");
    }
    Ops tf = Ops.create((Graph) step.env()).withSubScope(scope);
    Operand<TFloat32> s =
        step.type() == TFloat32.class ? (Operand<TFloat32>) cast(step) : tf.dtypes.cast(step, TFloat32.class);
    return new ScheduleOps(tf, s);
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> cast(Operand<?> x) {
    return (Operand<TFloat32>) x;
  }

  /** {@code value} as a float32 constant (Python's conversion of a number). */
  Operand<TFloat32> c(double value) {
    return tf.constant((float) value);
  }

  /** {@code step / steps}, floored when {@code staircase}. */
  Operand<TFloat32> fraction(long steps, boolean staircase) {
    Operand<TFloat32> p = tf.math.div(step, c(steps));
    return staircase ? tf.math.floor(p) : p;
  }

  /** The settings every decay of {@code rate} by {@code decayRate} per {@code decaySteps} checks. */
  static void checkDecay(String schedule, double rate, long decaySteps, double decayRate) {
    checkFinite(schedule, "rate", rate);
    checkPositive(schedule, "decaySteps", decaySteps);
    checkFinite(schedule, "decayRate", decayRate);
  }

  static void checkPositive(String schedule, String setting, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(
          schedule + ": " + setting + " must be positive, but got " + value);
    }
  }

  static void checkFinite(String schedule, String setting, double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException(
          schedule + ": " + setting + " must be a finite number, but got " + value);
    }
  }
}

package dev.tfmon.cli;

/**
 * TensorBoard's smoothing of scalar charts: an exponential moving average started at 0 and
 * debiased. With weight {@code w}, after the {@code n}-th finite value {@code v}: {@code last = w *
 * last + (1 - w) * v}, shown as {@code last / (1 - w^n)}; dividing by {@code 1 - w^n} removes the
 * pull towards the starting 0, so the first point is the first value. Non-finite values are shown
 * as they are and do not count; a series whose values are all equal is left as it is.
 *
 * <pre>{@code
 * double[] smooth = Smoothing.exponential(new double[] {1, 0, 1, 0}, 0.6);  // 1, 0.375, 0.694, 0.375
 * }</pre>
 */
final class Smoothing {
  /** TensorBoard's default weight. */
  static final double DEFAULT_WEIGHT = 0.6;

  private Smoothing() {}

  /**
   * The smoothed series; {@code weight} 0 leaves it as it is.
   *
   * @throws IllegalArgumentException if {@code weight} is not in [0, 1)
   */
  static double[] exponential(double[] values, double weight) {
    if (!(weight >= 0 && weight < 1)) {
      throw new IllegalArgumentException("smoothing weight must be in [0, 1), but got " + weight);
    }
    double[] out = values.clone();
    if (weight == 0 || allEqual(values)) {
      return out;
    }
    double last = 0;
    int counted = 0;
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      if (!Double.isFinite(v)) {
        continue;
      }
      last = last * weight + (1 - weight) * v;
      counted++;
      out[i] = last / (1 - Math.pow(weight, counted));
    }
    return out;
  }

  private static boolean allEqual(double[] values) {
    for (double v : values) {
      // NaN != NaN: a series with NaNs is never "constant", as in TensorBoard.
      if (!(v == values[0])) {
        return false;
      }
    }
    return true;
  }
}

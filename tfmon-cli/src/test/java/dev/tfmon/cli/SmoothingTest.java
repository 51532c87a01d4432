package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Issue 17: TensorBoard's smoothing, debiased, worked out by hand. */
class SmoothingTest {
  @Test
  void isTensorBoardsDebiasedMovingAverage() {
    // w = 0.6: last = 0.4, 0.24, 0.544, 0.3264; divided by 1 - 0.6^n = 0.4, 0.64, 0.784, 0.8704.
    assertThat(Smoothing.exponential(new double[] {1, 0, 1, 0}, 0.6))
        .containsExactly(new double[] {1.0, 0.375, 0.544 / 0.784, 0.375}, within(1e-12));
  }

  @Test
  void theFirstPointIsTheFirstValueWhateverTheWeight() {
    for (double w : new double[] {0.1, 0.6, 0.99}) {
      assertThat(Smoothing.exponential(new double[] {7, 3}, w)[0]).isCloseTo(7.0, within(1e-12));
    }
  }

  @Test
  void nonFiniteValuesPassThroughAndDoNotCount() {
    // w = 0.5: 2 -> last 1 / 0.5 = 2; NaN shown as NaN; 4 -> last 0.5 + 2 = 2.5 / 0.75.
    double[] s = Smoothing.exponential(new double[] {2, Double.NaN, 4, Double.POSITIVE_INFINITY}, 0.5);
    assertThat(s[0]).isEqualTo(2.0);
    assertThat(s[1]).isNaN();
    assertThat(s[2]).isCloseTo(2.5 / 0.75, within(1e-12));
    assertThat(s[3]).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void aConstantSeriesAndWeightZeroAreLeftAsTheyAre() {
    assertThat(Smoothing.exponential(new double[] {3, 3, 3}, 0.9)).containsExactly(3, 3, 3);
    assertThat(Smoothing.exponential(new double[] {1, 5, 2}, 0)).containsExactly(1, 5, 2);
  }

  @Test
  void rejectsAWeightOutsideZeroToOne() {
    assertThatThrownBy(() -> Smoothing.exponential(new double[] {1}, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("smoothing weight must be in [0, 1), but got 1.0");
  }
}

package dev.tfmon.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.tfmon.testing.ManualClock;

import org.junit.jupiter.api.Test;

class SecondOrStepTimerTest {

  // BHT-01
  @Test
  void bht01_raiseInBothSecsAndSteps() {
    assertThatThrownBy(() -> SecondOrStepTimer.builder().everySecs(2.0).everySteps(10).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("everySteps (10) and everySecs (2.0) are both set: set only one of them");
  }

  // BHT-02
  @Test
  void bht02_raiseInNoneSecsAndSteps() {
    assertThatThrownBy(() -> SecondOrStepTimer.builder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("neither everySteps nor everySecs is set: set one of them");
  }

  // BHT-04
  @Test
  void bht04_everySteps() {
    SecondOrStepTimer timer = SecondOrStepTimer.everySteps(3);
    assertThat(timer.shouldTriggerForStep(1)).isTrue();
    assertThat(timer.updateLastTriggeredStep(1)).isEmpty();
    assertThat(timer.shouldTriggerForStep(1)).isFalse();
    assertThat(timer.shouldTriggerForStep(2)).isFalse();
    assertThat(timer.shouldTriggerForStep(3)).isFalse();
    assertThat(timer.shouldTriggerForStep(4)).isTrue();
    assertThat(timer.lastTriggeredStep()).hasValue(1);
  }

  @Test
  void everySecsUsesTheClockAndReportsElapsed() {
    ManualClock clock = new ManualClock();
    SecondOrStepTimer timer = SecondOrStepTimer.builder().everySecs(1.0).clock(clock).build();
    assertThat(timer.shouldTriggerForStep(5)).isTrue();
    timer.updateLastTriggeredStep(5);
    clock.advanceSeconds(0.5);
    assertThat(timer.shouldTriggerForStep(6)).isFalse();
    clock.advanceSeconds(0.5);
    assertThat(timer.shouldTriggerForStep(5)).isFalse();
    assertThat(timer.shouldTriggerForStep(9)).isTrue();
    SecondOrStepTimer.Elapsed e = timer.updateLastTriggeredStep(9).orElseThrow();
    assertThat(e.steps()).isEqualTo(4);
    assertThat(e.seconds()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    timer.reset();
    assertThat(timer.lastTriggeredStep()).isEmpty();
    assertThat(timer.shouldTriggerForStep(9)).isTrue();
  }

  @Test
  void neverTriggerTimerNeverTriggers() {
    SecondOrStepTimer never = SecondOrStepTimer.never();
    assertThat(never.shouldTriggerForStep(0)).isFalse();
    assertThat(never.updateLastTriggeredStep(3)).isEmpty();
    assertThat(never.lastTriggeredStep()).isEmpty();
  }

  @Test
  void negativeFrequencyIsRejectedWithItsValue() {
    assertThatThrownBy(() -> SecondOrStepTimer.everySteps(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-2");
  }
}

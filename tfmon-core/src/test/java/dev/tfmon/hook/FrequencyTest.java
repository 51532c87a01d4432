package dev.tfmon.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.testing.ManualClock;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 5: one "every N steps or secs" value for every periodic hook's builder, checked at
 * {@code build()} under each builder's own setting names.
 */
class FrequencyTest {
  @TempDir Path dir;

  // issue 15 item 5
  @Test
  void aFrequencyIsAnImmutableValue() {
    Frequency steps = Frequency.everySteps(10);
    assertThat(steps.steps()).hasValue(10);
    assertThat(steps.secs()).isEmpty();
    assertThat(steps.withSecs(2)).isNotEqualTo(steps);
    assertThat(steps).isEqualTo(Frequency.everySteps(10)).hasSameHashCodeAs(Frequency.everySteps(10));
    assertThat(steps.steps()).as("withSecs left the original alone").hasValue(10);
    assertThat(Frequency.unset().isSet()).isFalse();
    assertThat(Frequency.unset().orEverySteps(100)).isEqualTo(Frequency.everySteps(100));
    assertThat(Frequency.everySecs(5).orEverySteps(100)).isEqualTo(Frequency.everySecs(5));
    assertThat(Frequency.everySecs(2.5)).hasToString("every 2.5 s");
  }

  // issue 15 item 5
  @Test
  void itChecksUnderTheNamesItIsGiven() {
    assertThatThrownBy(() -> Frequency.everySteps(-1).timer("saveSteps", "saveSecs"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected saveSteps >= 0, but got -1");
    assertThatThrownBy(() -> Frequency.everySecs(-0.5).timer("everyNSteps", "everyNSecs"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected everyNSecs >= 0, but got -0.5");
    assertThatThrownBy(() -> Frequency.everySteps(3).withSecs(4).checkAtMostOne("a", "b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a (3) and b (4.0) are both set: set only one of them");
    assertThat(Frequency.unset().checkAtMostOne("a", "b").isSet()).isFalse();
  }

  // issue 15 item 5: every periodic hook's builder validates alike, naming its own settings.
  @Test
  void everyPeriodicHookBuilderValidatesAlike() {
    assertThatThrownBy(() -> CheckpointSaverHook.builder(dir).saveSteps(-2).build())
        .hasMessage("expected saveSteps >= 0, but got -2");
    assertThatThrownBy(() -> SummarySaverHook.builder().summaryWriter(null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ProfilerHook.builder().saveSecs(-1).build())
        .hasMessage("expected saveSecs >= 0, but got -1.0");
    assertThatThrownBy(() -> StepCounterHook.builder().everyNSecs(-3).build())
        .hasMessage("expected everyNSecs >= 0, but got -3.0");
    assertThatThrownBy(() -> LoggingTensorHook.builder().tensor("t").everyNSecs(-3).build())
        .hasMessage("expected everyNSecs >= 0, but got -3.0");
    assertThatThrownBy(() -> SecondOrStepTimer.builder().everySteps(-7).build())
        .hasMessage("expected everySteps >= 0, but got -7");
  }

  // issue 15 item 5: a frequency given whole, with its clock, drives the hook's timer.
  @Test
  void aHookTakesAFrequencyWithItsClock() {
    ManualClock clock = new ManualClock();
    SecondOrStepTimer timer = Frequency.everySecs(1).withClock(clock).timer("s", "t");
    assertThat(timer.shouldTriggerForStep(1)).isTrue();
    timer.updateLastTriggeredStep(1);
    assertThat(timer.shouldTriggerForStep(2)).isFalse();
    clock.advanceSeconds(1);
    assertThat(timer.shouldTriggerForStep(2)).isTrue();
  }
}

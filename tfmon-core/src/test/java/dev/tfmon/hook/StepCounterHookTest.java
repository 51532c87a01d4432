package dev.tfmon.hook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.session.HookedSession;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.ScalarSeries;
import dev.tfmon.summary.SummaryWriter;
import dev.tfmon.testing.ManualClock;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepCounterHookTest {
  @TempDir Path dir;

  /** Runs {@code runs} steps advancing the clock by {@code dt} before each; returns the summaries. */
  private List<ScalarPoint> run(long amount, StepCounterHook.Builder builder, int runs, double dt, ManualClock clock) {
    try (HookTesting.StepModel m = new HookTesting.StepModel(amount)) {
      SummaryWriter writer = SummaryWriter.builder(dir).graph(m.graph).build();
      StepCounterHook hook = builder.summaryWriter(writer).clock(clock).build();
      HookedSession hooked = m.start(hook);
      for (int i = 0; i < runs; i++) {
        clock.advanceSeconds(dt);
        m.run(hooked);
      }
      hook.end(m.session);
      writer.close();
      assertThat(hook.tag()).isEqualTo("global_step/sec");
    }
    Map<String, List<ScalarPoint>> byTag = ScalarSeries.readDirectory(dir);
    assertThat(byTag.keySet()).containsExactly("global_step/sec");
    List<ScalarPoint> points = byTag.get("global_step/sec");
    assertThat(points).allSatisfy(p -> assertThat(p.value()).isPositive());
    return points;
  }

  private static List<Long> steps(List<ScalarPoint> points) {
    return points.stream().map(ScalarPoint::step).toList();
  }

  // BHT-41
  @Test
  void bht41_stepCounterEveryNSteps() {
    ManualClock clock = new ManualClock();
    try (HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      List<ScalarPoint> points = run(1, StepCounterHook.builder().everyNSteps(10), 30, 0.01, clock);
      assertThat(steps(points)).containsExactly(11L, 21L);
      // 10 steps in 10 × 0.01 s of the manual clock: 100 steps/s.
      assertThat(points.get(0).value()).isCloseTo(100.0, org.assertj.core.data.Offset.offset(0.01));
      assertThat(log.linesWith("has not been increased")).isEmpty();
    }
  }

  // BHT-42
  @Test
  void bht42_stepCounterEveryNSecs() {
    ManualClock clock = new ManualClock();
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      SummaryWriter writer = SummaryWriter.builder(dir).build();
      StepCounterHook hook = StepCounterHook.builder().everyNSecs(0.1).summaryWriter(writer).clock(clock).build();
      HookedSession hooked = m.start(hook);
      m.run(hooked);
      clock.advanceSeconds(0.2);
      m.run(hooked);
      clock.advanceSeconds(0.2);
      m.run(hooked);
      hook.end(m.session);
      writer.close();
    }
    List<ScalarPoint> points = ScalarSeries.readDirectory(dir).get("global_step/sec");
    assertThat(steps(points)).containsExactly(2L, 3L);
    assertThat(points).allSatisfy(p -> assertThat(p.value()).isCloseTo(5.0, org.assertj.core.data.Offset.offset(1e-3)));
  }

  // BHT-44
  @Test
  void bht44_logWarningIfGlobalStepNotIncreased() {
    try (HookTesting.StepModel m = new HookTesting.StepModel(0);
        HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      StepCounterHook hook = StepCounterHook.builder().everyNSteps(1).build();
      HookedSession hooked = m.start(hook);
      m.run(hooked);
      log.drain();
      for (int i = 0; i < 30; i++) {
        m.run(hooked);
      }
      hook.end(m.session);
      List<String> warnings = log.drain().stream().filter(l -> l.matches(".*the global step stayed at .* over the last run.*")).toList();
      // Rate-limited: only the first five occurrences are logged.
      assertThat(warnings).hasSize(5).allSatisfy(w -> assertThat(w).contains("WARN"));
    }
  }

  // BHT-45
  @Test
  void bht45_stepsPerRunLessThanEveryNSteps() {
    ManualClock clock = new ManualClock();
    List<ScalarPoint> points = run(5, StepCounterHook.builder().everyNSteps(10).stepsPerRun(5), 5, 0.01, clock);
    assertThat(steps(points)).containsExactly(15L, 25L);
  }

  // BHT-46
  @Test
  void bht46_stepsPerRunEqualEveryNSteps() {
    ManualClock clock = new ManualClock();
    List<ScalarPoint> points = run(5, StepCounterHook.builder().everyNSteps(5).stepsPerRun(5), 5, 0.01, clock);
    assertThat(steps(points)).containsExactly(10L, 15L, 20L, 25L);
  }

  @Test
  void bothFrequenciesAreRejectedNamingThem() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> StepCounterHook.builder().everyNSteps(5).everyNSecs(1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("everyNSteps (5) and everyNSecs (1.0)");
  }
}

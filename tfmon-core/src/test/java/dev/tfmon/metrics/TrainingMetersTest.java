package dev.tfmon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.errors.AbortedException;
import dev.tfmon.errors.StatusCode;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.SessionRunArgs;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;

/** The Micrometer binding over a real training run with a real recovery and a final checkpoint. */
class TrainingMetersTest {
  @TempDir Path dir;

  /** Throws ABORTED from its beforeRun once, on run {@code atRun}: the session is recreated. */
  static final class AbortOnce implements SessionRunHook {
    private final int atRun;
    private int runs;

    AbortOnce(int atRun) {
      this.atRun = atRun;
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      if (++runs == atRun) {
        throw TensorFlowStatusException.of(StatusCode.ABORTED, "aborted by the test");
      }
      return null;
    }
  }

  @Test
  void metersCarryTheRunsFiguresUnderStableNames() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    String prefix = dir.resolve("model.ckpt").toString();
    try (Graph g = new Graph();
        Training training = new Training("meters-trainer")) {
      Model model = Model.build(g);
      Saver saver = Saver.create(g);
      TrainingMetricsHook metrics =
          TrainingMetricsHook.builder(g, "meters-run")
              .saver(saver, prefix)
              .scalar("loss", model.loss())
              .registerMBean(false)
              .build();
      try (TrainingMeters meters = new TrainingMeters(metrics.stats())) {
        meters.bindTo(registry);
        assertThat(registry.get("tfmon.global.step").tag("run", "meters-run").gauge().value()).isEqualTo(-1);
        assertThat(registry.get("tfmon.checkpoint.step").gauge().value()).isEqualTo(-1);
        assertThat(registry.get("tfmon.checkpoint.age").timeGauge().value(TimeUnit.SECONDS)).isNaN();
        assertThat(registry.find("tfmon.recoveries").meters()).isEmpty();
        assertThat(registry.find("tfmon.scalar").meters()).isEmpty();

        Training.Outcome outcome =
            training.start(g, model, metrics, List.of(metrics, new AbortOnce(7)), 50).get(60, TimeUnit.SECONDS);
        TrainingStats stats = metrics.stats();

        assertThat(outcome.loopSteps()).isEqualTo(50);
        assertThat(registry.get("tfmon.global.step").gauge().value()).isEqualTo(stats.globalStep());
        assertThat(registry.get("tfmon.steps").functionCounter().count()).isEqualTo(50);
        assertThat(registry.get("tfmon.step.duration").functionTimer().count()).isEqualTo(50);
        assertThat(registry.get("tfmon.step.duration").functionTimer().totalTime(TimeUnit.NANOSECONDS))
            .isCloseTo(stats.totalStepTime().toNanos(), org.assertj.core.data.Offset.offset(1.0));
        assertThat(registry.get("tfmon.step.last.duration").timeGauge().value(TimeUnit.NANOSECONDS))
            .isCloseTo(stats.lastStepDuration().toNanos(), org.assertj.core.data.Offset.offset(1.0));
        assertThat(registry.get("tfmon.step.idle").timeGauge().value(TimeUnit.SECONDS)).isGreaterThanOrEqualTo(0);
        assertThat(registry.get("tfmon.steps.per.second").gauge().value()).isPositive();

        // The recovery (ABORTED, caught by the session's recovery layer) appears with its code.
        assertThat(stats.recoveries()).containsExactly(java.util.Map.entry(StatusCode.ABORTED, 1L));
        assertThat(registry.get("tfmon.recoveries").tag("code", "ABORTED").functionCounter().count()).isEqualTo(1);

        // The session was re-initialized by the recovery, so the final step counts only the runs
        // after it; the final checkpoint was written at close at that step.
        assertThat(registry.get("tfmon.checkpoint.step").gauge().value()).isEqualTo(outcome.finalStep());
        assertThat(registry.get("tfmon.checkpoint.save.duration").functionTimer().count()).isEqualTo(1);
        assertThat(registry.get("tfmon.checkpoint.save.duration").functionTimer().totalTime(TimeUnit.NANOSECONDS)).isPositive();
        assertThat(registry.get("tfmon.checkpoint.age").timeGauge().value(TimeUnit.SECONDS)).isGreaterThanOrEqualTo(0);

        assertThat(registry.get("tfmon.hook.duration").tag("hook", "TrainingMetricsHook").functionTimer().totalTime(TimeUnit.NANOSECONDS))
            .isPositive();
        assertThat(registry.get("tfmon.hook.duration").tag("hook", "AbortOnce").functionTimer().count())
            .isEqualTo(stats.hookCosts().runs());
        assertThat(registry.get("tfmon.scalar").tag("name", "loss").gauge().value())
            .isEqualTo(stats.scalar("loss"))
            .isBetween(0.0, 9.0);
        assertThat(registry.get("tfmon.stalls").functionCounter().count()).isZero();
        assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("run")).isEqualTo("meters-run"));
      }
      assertThat(registry.getMeters()).as("meters left after close").isEmpty();
    }
  }

  @Test
  void aRecoveryCodeSeenBeforeBindingIsBoundAtOnce() {
    TrainingStats stats = new TrainingStats("late-bind");
    stats.onRecovery(
        new dev.tfmon.session.RecoveryEvent(
            new AbortedException("lost", null), 1, Duration.ofMillis(5), java.util.OptionalLong.of(3), java.util.OptionalLong.of(0)));
    stats.recordScalar("accuracy", 0.5);
    MeterRegistry registry = new SimpleMeterRegistry();
    try (TrainingMeters meters = new TrainingMeters(stats)) {
      meters.bindTo(registry);
      assertThat(registry.get("tfmon.recoveries").tag("code", "ABORTED").functionCounter().count()).isEqualTo(1);
      assertThat(registry.get("tfmon.scalar").tag("name", "accuracy").gauge().value()).isEqualTo(0.5);
      assertThat(registry.find("tfmon.hook.duration").meters()).isEmpty();
    }
  }
}

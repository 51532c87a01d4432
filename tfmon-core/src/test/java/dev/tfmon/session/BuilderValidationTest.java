package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.AbortedException;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.hook.CheckpointSaverHook;
import dev.tfmon.hook.LoggingTensorHook;
import dev.tfmon.hook.StepCounterHook;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.Fixtures.RaiseOnceAtCountN;
import dev.tfmon.session.Fixtures.Stepping;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;

/**
 * Issue 15 item 8: builders take any value in their setters but null, and check everything at
 * {@code build()}, naming the setting and the value; the training session's builder shares the
 * monitored session's settings instead of declaring them again.
 */
class BuilderValidationTest {
  @TempDir Path dir;

  // issue 15 item 8: a negative frequency used to mean "never" silently.
  @Test
  void aNegativeFrequencyIsAnErrorAtBuildAndZeroTurnsItOff() {
    try (Graph g = new Graph()) {
      Stepping.build(g);
      MonitoredTrainingSession.Builder negative =
          MonitoredTrainingSession.builder(g).checkpointDir(dir).saveCheckpointSecs(-1);
      assertThatThrownBy(negative::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected saveCheckpointSecs >= 0, but got -1.0");
      assertThatThrownBy(() -> MonitoredTrainingSession.builder(g).saveSummariesSteps(-5).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected saveSummariesSteps >= 0, but got -5");
      assertThatThrownBy(() -> MonitoredTrainingSession.builder(g).logStepCountSteps(-1).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected logStepCountSteps >= 0 (0 turns it off), but got -1");
      assertThatThrownBy(() -> MonitoredTrainingSession.builder(g).saveSummariesSecs(Double.NaN).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected saveSummariesSecs >= 0, but got NaN");
      assertThat(GraphFinalization.isFinalized(g)).as("no failed build began a session").isFalse();
      assertThat(dir).isEmptyDirectory();
    }
  }

  // issue 15 item 8: setters that threw at once now keep the value for build() to judge.
  @Test
  void settersAcceptAnyValueAndBuildNamesTheBadOne() {
    try (Graph g = new Graph()) {
      Stepping.build(g);
      MonitoredSession.Builder<MonitoredSession> grace = MonitoredSession.builder(g).stopGracePeriod(Duration.ofSeconds(-3));
      assertThatThrownBy(grace::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a non-negative stopGracePeriod, but got PT-3S");
      MonitoredSession.Builder<MonitoredSession> share = MonitoredSession.builder(g).hookCostWarningShare(-0.5);
      assertThatThrownBy(share::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a hookCostWarningShare between 0 and 1, but got -0.5");
      MonitoredTrainingSession.Builder wait = MonitoredTrainingSession.builder(g).recoveryWait(Duration.ofMillis(-1));
      assertThatThrownBy(wait::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a non-negative recoveryWait, but got PT-0.001S");
      assertThatThrownBy(() -> MonitoredTrainingSession.builder(g).isChief(false).maxWait(Duration.ofSeconds(-1)).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a non-negative maxWait, but got PT-1S");

      CheckpointSaverHook.Builder basename = CheckpointSaverHook.builder(dir).saveSteps(1).checkpointBasename("");
      assertThatThrownBy(basename::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a non-empty checkpointBasename, but got ''");
      StepCounterHook.Builder perRun = StepCounterHook.builder().stepsPerRun(0);
      assertThatThrownBy(perRun::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected stepsPerRun >= 1, but got 0");
      LoggingTensorHook.Builder twice = LoggingTensorHook.builder().tensor("t", "a").tensor("t", "b").atEnd(true);
      assertThatThrownBy(twice::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("tag 't' is given twice: each logged value needs its own tag");

      ChiefSessionCreator.Builder chiefWait = ChiefSessionCreator.builder(Scaffold.of(g)).recoveryWait(Duration.ofSeconds(-2));
      assertThatThrownBy(chiefWait::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a non-negative recoveryWait, but got PT-2S");
      WorkerSessionCreator.Builder workerWait = WorkerSessionCreator.builder(Scaffold.of(g)).maxWait(Duration.ofSeconds(-2));
      assertThatThrownBy(workerWait::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a non-negative maxWait, but got PT-2S");
      assertThat(GraphFinalization.isFinalized(g)).isFalse();
    }
  }

  // issue 15 item 8: a null is refused by the setter, naming it (clock(null) used to be taken).
  @Test
  void nullIsRefusedBySetterNamingIt() {
    try (Graph g = new Graph()) {
      assertThatThrownBy(() -> CheckpointSaverHook.builder(dir).clock(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("clock");
      assertThatThrownBy(() -> MonitoredTrainingSession.builder(g).clock(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("clock");
      assertThatThrownBy(() -> MonitoredSession.builder(g).recoveryClock(null, d -> {}))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("nanos");
      assertThatThrownBy(() -> ChiefSessionCreator.builder(Scaffold.of(g)).master(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("master");
      assertThatThrownBy(() -> MonitoredTrainingSession.builder(g).checkpointDir(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("checkpointDir");
    }
  }

  // issue 15 item 8: the shared settings are declared once, in MonitoredSessionSettings.
  @Test
  void theTrainingSessionBuilderDoesNotRedeclareTheSharedSettings() {
    List<String> shared = new ArrayList<>();
    for (Method m : MonitoredSessionSettings.class.getDeclaredMethods()) {
      if (java.lang.reflect.Modifier.isPublic(m.getModifiers())) {
        shared.add(m.getName());
      }
    }
    assertThat(shared)
        .contains("hook", "hooks", "stopGracePeriod", "recoveryPolicy", "recoveryListener", "hookCostWarningShare");
    assertThat(Arrays.stream(MonitoredTrainingSession.Builder.class.getDeclaredMethods()).map(Method::getName))
        .doesNotContainAnyElementsOf(shared);
    assertThat(Arrays.stream(AbstractMonitoredSession.Builder.class.getDeclaredMethods()).map(Method::getName))
        .doesNotContainAnyElementsOf(shared);
    assertThat(MonitoredSessionSettings.class).isAssignableFrom(MonitoredTrainingSession.Builder.class);
  }

  // issue 15 item 8: and they reach the session it builds.
  @Test
  void theTrainingSessionHonoursTheSharedRecoverySettings() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      List<RecoveryEvent> events = new ArrayList<>();
      RaiseOnceAtCountN abort = new RaiseOnceAtCountN(2, () -> new AbortedException("lost once"));
      try (MonitoredSession s =
          MonitoredTrainingSession.builder(g).hook(abort).recoveryListener(events::add).build()) {
        s.run(st.doStep()).close();
        s.run(st.doStep()).close();
        assertThat(s.recoveries()).isEqualTo(1);
      }
      assertThat(events).extracting(e -> e.cause().getMessage()).containsExactly("ABORTED: lost once");

      RaiseOnceAtCountN abortAgain = new RaiseOnceAtCountN(1, () -> new AbortedException("not recovered"));
      MonitoredSession none =
          MonitoredTrainingSession.builder(g).hook(abortAgain).recoveryPolicy(RecoveryPolicy.none()).build();
      assertThatThrownBy(() -> none.run(st.doStep())).isInstanceOf(AbortedException.class);
      none.close();
    }
  }
}

package dev.tfmon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.CheckpointSaverHook;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;

/** The hook's own behaviour: sparse fetches, the stats it records, and its checks. */
class TrainingMetricsHookTest {
  @TempDir Path dir;

  @Test
  void fetchesTheGlobalStepAndScalarsInOneRunOutOfNButCountsEveryRun() throws Exception {
    try (Graph g = new Graph();
        Training training = new Training("sparse-trainer")) {
      Model model = Model.build(g);
      TrainingMetricsHook metrics =
          TrainingMetricsHook.builder(g, "sparse").scalar("loss", model.loss()).fetchEveryNRuns(10).registerMBean(false).build();
      Training.Outcome outcome = training.start(g, model, metrics, List.of(metrics), 25).get(60, TimeUnit.SECONDS);
      TrainingStats stats = metrics.stats();
      assertThat(outcome.loopSteps()).isEqualTo(25);
      assertThat(stats.stepsCompleted()).isEqualTo(25);
      // Runs 1, 11 and 21 fetched; run 21 read step 20 (before its own increment).
      assertThat(stats.globalStep()).isEqualTo(20);
      assertThat(stats.scalars()).containsOnlyKeys("loss");
      assertThat(stats.totalStepTime()).isPositive();
      assertThat(stats.lastStepDuration()).isPositive();
    }
  }

  @Test
  void aCheckpointSaverHooksSavesAreRecordedThroughItsListener() throws Exception {
    try (Graph g = new Graph();
        Training training = new Training("listener-trainer")) {
      Model model = Model.build(g);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "listener").registerMBean(false).build();
      CheckpointSaverHook saverHook =
          CheckpointSaverHook.builder(dir).saveSteps(10).listener(metrics.stats().checkpointListener()).build();
      Training.Outcome outcome =
          training.start(g, model, metrics, List.of(metrics, saverHook), 25).get(60, TimeUnit.SECONDS);
      TrainingStats stats = metrics.stats();
      String latest = Checkpoints.latestCheckpoint(dir).orElseThrow();
      // The hook saves after session creation (step 0), every 10 steps, and at the end (step 25).
      assertThat(latest).endsWith("-" + outcome.finalStep());
      assertThat(stats.lastCheckpointStep()).isEqualTo(outcome.finalStep());
      assertThat(stats.checkpointsSaved()).isEqualTo(Checkpoints.checkpointState(dir).orElseThrow().allModelCheckpointPaths().size());
      assertThat(stats.lastCheckpointSaveDuration()).isPositive();
      assertThat(stats.totalCheckpointSaveTime()).isGreaterThanOrEqualTo(stats.lastCheckpointSaveDuration());
    }
  }

  @Test
  void monitoredTrainingSessionsCheckpointListenerSeesTheDefaultSaverHooksSaves() {
    try (Graph g = new Graph()) {
      Model model = Model.build(g);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "mts").registerMBean(false).build();
      TrainingStats stats = metrics.stats();
      try (metrics;
          MonitoredSession s =
              MonitoredTrainingSession.builder(g)
                  .checkpointDir(dir)
                  .saveCheckpointSteps(10)
                  .saveSummariesSteps(0)
                  .logStepCountSteps(0)
                  .checkpointListener(stats.checkpointListener())
                  .hook(metrics)
                  .build()) {
        assertThat(stats.lastCheckpointStep()).as("the save after session creation").isZero();
        for (int i = 0; i < 12; i++) {
          s.runner().addTarget(model.trainOp()).run().close();
        }
        assertThat(stats.lastCheckpointStep()).isEqualTo(10);
      }
      // Steps 0 and 10 while training, 12 at the clean close.
      assertThat(stats.lastCheckpointStep()).isEqualTo(12);
      assertThat(stats.checkpointsSaved()).isEqualTo(3);
    }
  }

  @Test
  void statsComputeTheRateFromTheRecentWindowWithAFakeClock() {
    AtomicLong now = new AtomicLong();
    TrainingStats stats = new TrainingStats("rate", 4, now::get);
    assertThat(stats.stepsPerSecond()).isZero();
    assertThat(stats.timeSinceLastStep()).isNull();
    assertThat(stats.checkpointAge()).isNull();
    for (int step = 0; step < 10; step++) {
      now.addAndGet(step < 6 ? 1_000_000_000L : 250_000_000L); // 1 step/s, then 4 steps/s
      stats.recordStep(step, 1000);
    }
    // The window holds the last 4 samples (steps 6..9, 0.25 s apart): 3 steps in 0.75 s.
    assertThat(stats.stepsPerSecond()).isEqualTo(4.0);
    now.addAndGet(2_000_000_000L);
    assertThat(stats.timeSinceLastStep()).hasSeconds(2);
    stats.recordCheckpoint(9, 5_000_000);
    now.addAndGet(3_000_000_000L);
    assertThat(stats.checkpointAge()).hasSeconds(3);
    assertThat(stats.lastCheckpointSaveDuration()).hasMillis(5);
    assertThat(stats.checkpointsSaved()).isEqualTo(1);
  }

  @Test
  void aSecondRunWithTheSameNameIsRejectedAndTheFirstUnregistersAtClose() throws Exception {
    try (Graph g = new Graph()) {
      Model.build(g);
      ObjectName name = TrainingMetricsHook.objectName("twice");
      try (TrainingMetricsHook first = TrainingMetricsHook.builder(g, "twice").build();
          TrainingMetricsHook second = TrainingMetricsHook.builder(g, "twice").build()) {
        first.begin(new BeginContext(g));
        assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(name)).isTrue();
        assertThatThrownBy(() -> second.begin(new BeginContext(g)))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage(
                "an MBean named tfmon:type=Training,name=twice is already registered: give each concurrent training run its own name");
      }
      assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(name)).isFalse();
    }
  }

  @Test
  void runNamesWithReservedCharactersAreQuoted() throws Exception {
    assertThat(TrainingMetricsHook.objectName("mnist-2"))
        .isEqualTo(new ObjectName("tfmon:type=Training,name=mnist-2"));
    assertThat(TrainingMetricsHook.objectName("a,b=c").getKeyProperty("name")).isEqualTo("\"a,b=c\"");
  }

  @Test
  void aGraphWithoutGlobalStepFailsAtSessionCreationNamingTheFix() {
    try (Graph g = new Graph()) {
      Ops.create(g).withName("c").constant(1f);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "no-step").registerMBean(false).build();
      assertThatThrownBy(() -> MonitoredSession.builder(g).hook(metrics).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("this graph has no global step: create one with GlobalStep.getOrCreate(graph)");
    }
  }

  @Test
  void builderRejectsBadSettingsNamingTheValue() {
    try (Graph g = new Graph();
        Graph other = new Graph()) {
      Model model = Model.build(g);
      Model otherModel = Model.build(other);
      assertThatThrownBy(() -> TrainingMetricsHook.builder(g, " ").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a non-blank run name, but got \" \"");
      assertThatThrownBy(() -> TrainingMetricsHook.builder(g, "r").fetchEveryNRuns(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected fetchEveryNRuns of at least 1, but got 0");
      assertThatThrownBy(() -> TrainingMetricsHook.builder(g, "r").scalar("loss", model.loss()).scalar("loss", model.loss()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("scalar name 'loss' is already used for loss:0");
      assertThatThrownBy(() -> TrainingMetricsHook.builder(g, "r").scalar("loss", otherModel.loss()).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("scalar 'loss' (loss:0) belongs to another graph than the hook's");
      try (Saver saver = Saver.create(other)) {
        assertThatThrownBy(() -> TrainingMetricsHook.builder(g, "r").saver(saver, "/tmp/x/model.ckpt").build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("the saver belongs to another graph than the hook's");
      }
      assertThatThrownBy(() -> TrainingMetricsHook.builder(g, "r").stats(new TrainingStats("s")).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the shared stats are for run 's', but this hook is for run 'r'");
    }
  }
}

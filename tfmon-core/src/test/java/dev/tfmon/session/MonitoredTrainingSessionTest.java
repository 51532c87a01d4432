package dev.tfmon.session;

import static dev.tfmon.session.Fixtures.longOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.CheckpointSaverHook;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.StepCounterHook;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.hook.SummarySaverHook;
import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.SummaryWriterCache;
import dev.tfmon.testing.ManualClock;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;
import org.tensorflow.types.TInt64;

class MonitoredTrainingSessionTest {
  @TempDir Path dir;

  @AfterEach
  void closeWriters() {
    SummaryWriterCache.clear();
  }

  // MST-011
  @Test
  void mst011_savingRestoringCheckpoint() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      try (MonitoredSession session = MonitoredTrainingSession.builder(g).isChief(true).checkpointDir(dir).build()) {
        assertThat(longOf(session.run(s.value()))).isEqualTo(0);
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(1);
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(2);
      }
      try (MonitoredSession session = MonitoredTrainingSession.builder(g).isChief(true).checkpointDir(dir).build()) {
        assertThat(longOf(session.run(s.value()))).isEqualTo(2);
      }
    }
  }

  // MST-012
  @Test
  void mst012_saveCheckpointSteps() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g)
              .isChief(true)
              .checkpointDir(dir)
              .saveCheckpointSteps(100)
              .logStepCountSteps(10)
              .build()) {
        for (int i = 0; i < 100; i++) {
          longOf(session.run(s.doStep()));
        }
      }
      // The hook saved at step 100 after the last run, so the checkpoint exists before any end() save.
      assertThat(Checkpoints.latestCheckpoint(dir)).hasValueSatisfying(p -> assertThat(p).endsWith("model.ckpt-100"));
      try (MonitoredSession session = MonitoredTrainingSession.builder(g).isChief(true).checkpointDir(dir).build()) {
        assertThat(longOf(session.run(s.value()))).isEqualTo(100);
      }
    }
  }

  /** Global step, new_gstep = increment, scalar summary my_summary_tag = new_gstep * 2. */
  private static Output<TInt64> summariesGraph(Graph g) {
    GlobalStep.getOrCreate(g);
    Ops tf = Ops.create(g);
    @SuppressWarnings("unchecked")
    Output<TInt64> ref = (Output<TInt64>) GlobalStep.get(g).orElseThrow().variable();
    Output<TInt64> newStep = tf.withName("new_gstep").assignAdd(ref, tf.constant(1L)).asOutput();
    dev.tfmon.summary.Summaries.scalar(g, "my_summary_tag", tf.math.mul(newStep, tf.constant(2L)));
    return newStep;
  }

  private Set<String> summaryTagsOfLastEventFile() throws IOException {
    List<Path> files = EventFileReader.eventFiles(dir);
    assertThat(files).isNotEmpty();
    Path last = files.stream().max(Path::compareTo).orElseThrow();
    Set<String> tags = new TreeSet<>();
    for (Event e : EventFileReader.readAll(last)) {
      if (e.hasSummary() && e.getSummary().getValueCount() > 0) {
        tags.add(e.getSummary().getValue(0).getTag());
      }
    }
    return tags;
  }

  // MST-015
  @Test
  void mst015_summariesSteps() throws IOException {
    try (Graph g = new Graph()) {
      Output<TInt64> newStep = summariesGraph(g);
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g)
              .isChief(true)
              .checkpointDir(dir)
              .saveSummariesSteps(100)
              .logStepCountSteps(10)
              .build()) {
        for (int i = 0; i < 101; i++) {
          longOf(session.run(newStep));
        }
      }
      SummaryWriterCache.clear();
      assertThat(summaryTagsOfLastEventFile()).contains("my_summary_tag", "global_step/sec");
    }
  }

  // MST-016
  @Test
  void mst016_summariesSecs() throws IOException {
    ManualClock clock = new ManualClock();
    try (Graph g = new Graph()) {
      Output<TInt64> newStep = summariesGraph(g);
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g)
              .isChief(true)
              .checkpointDir(dir)
              .saveSummariesSecs(0.1)
              .logStepCountSteps(10)
              .clock(clock)
              .build()) {
        longOf(session.run(newStep));
        clock.advance(Duration.ofMillis(200));
        for (int i = 0; i < 101; i++) {
          longOf(session.run(newStep));
        }
      }
      SummaryWriterCache.clear();
      assertThat(summaryTagsOfLastEventFile()).contains("my_summary_tag", "global_step/sec");
    }
  }

  private long countFiles(String glob) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> dir.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName())).count();
    }
  }

  // MST-019
  @Test
  void mst019_saveGraphDefFalse() throws IOException {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g)
              .isChief(true)
              .checkpointDir(dir)
              .saveCheckpointSteps(1)
              .saveGraphDef(false)
              .build()) {
        assertThat(Files.exists(dir.resolve("graph.pbtxt"))).isFalse();
        assertThat(countFiles("*.meta")).isZero();
        assertThat(countFiles("model.ckpt-0.index")).isEqualTo(1);
        longOf(session.run(s.doStep()));
        assertThat(Files.exists(dir.resolve("graph.pbtxt"))).isFalse();
        assertThat(countFiles("*.meta")).isZero();
        assertThat(countFiles("model.ckpt-1.index")).isEqualTo(1);
      }
    }
  }

  @Test
  void saveGraphDefTrueWritesGraphTextAndMetaFiles() throws IOException {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g).checkpointDir(dir).saveCheckpointSteps(1).build()) {
        assertThat(Files.readString(dir.resolve("graph.pbtxt"))).contains("name: \"global_step\"");
        assertThat(countFiles("*.meta")).isEqualTo(1);
        longOf(session.run(s.doStep()));
        assertThat(countFiles("*.meta")).isEqualTo(2);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static List<SessionRunHook> hooksOf(MonitoredSession session) throws ReflectiveOperationException {
    Field f = AbstractMonitoredSession.class.getDeclaredField("hooks");
    f.setAccessible(true);
    return (List<SessionRunHook>) f.get(session);
  }

  private static List<String> typesOf(List<SessionRunHook> hooks) {
    List<String> names = new ArrayList<>();
    hooks.forEach(h -> names.add(h.getClass().getSimpleName()));
    return names;
  }

  @Test
  void chiefInstallsDefaultHooksInTensorFlowsOrder() throws Exception {
    try (Graph g = new Graph()) {
      Fixtures.Stepping.build(g);
      SessionRunHook chiefOnly = new SessionRunHook() {};
      StopAtStepHook user = StopAtStepHook.numSteps(5);
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g).checkpointDir(dir).chiefOnlyHooks(List.of(chiefOnly)).hook(user).build()) {
        List<SessionRunHook> hooks = hooksOf(session);
        assertThat(hooks.get(0)).isSameAs(chiefOnly);
        assertThat(typesOf(hooks.subList(1, 4)))
            .containsExactly(
                StepCounterHook.class.getSimpleName(),
                SummarySaverHook.class.getSimpleName(),
                CheckpointSaverHook.class.getSimpleName());
        assertThat(hooks.get(4)).isSameAs(user);
        assertThat(hooks).hasSize(5);
      }
    }
  }

  @Test
  void noCheckpointDirMeansNoDefaultHooksAndZeroDisables() throws Exception {
    try (Graph g = new Graph()) {
      Fixtures.Stepping.build(g);
      try (MonitoredSession session = MonitoredTrainingSession.builder(g).build()) {
        assertThat(hooksOf(session)).isEmpty();
      }
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g)
              .checkpointDir(dir)
              .logStepCountSteps(0)
              .saveSummariesSteps(0)
              .saveCheckpointSecs(0)
              .build()) {
        assertThat(hooksOf(session)).isEmpty();
      }
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g).summaryDir(dir.resolve("sum")).build()) {
        assertThat(typesOf(hooksOf(session))).containsExactly("StepCounterHook", "SummarySaverHook");
      }
    }
  }

  @Test
  void bothSecsAndStepsIsAnErrorAtBuildTimeNamingTheValues() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping.build(g);
      assertThatThrownBy(
              () -> MonitoredTrainingSession.builder(g).checkpointDir(dir).saveCheckpointSecs(600).saveCheckpointSteps(100).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("saveCheckpointSecs (600.0)")
          .hasMessageContaining("saveCheckpointSteps (100)");
      assertThatThrownBy(
              () -> MonitoredTrainingSession.builder(g).saveSummariesSecs(5).saveSummariesSteps(10).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("saveSummariesSecs (5.0)")
          .hasMessageContaining("saveSummariesSteps (10)");
      // Nothing was begun or finalized by the failed builds.
      assertThat(dev.tfmon.graph.GraphFinalization.isFinalized(g)).isFalse();
    }
  }

  @Test
  void readmeTrainingLoopStopsAtTheRequestedStep() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      Operation trainOp = s.doStep().op();
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g).checkpointDir(dir).hook(StopAtStepHook.numSteps(30)).build()) {
        assertThat(session.runUntilStopped(x -> x.run(trainOp))).isEqualTo(30);
      }
      assertThat(Checkpoints.latestCheckpoint(dir)).hasValueSatisfying(p -> assertThat(p).endsWith("model.ckpt-30"));
    }
  }
}

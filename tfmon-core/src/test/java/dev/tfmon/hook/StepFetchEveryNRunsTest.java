package dev.tfmon.hook;

import dev.tfmon.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.HookedSession;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.ScalarSeries;
import dev.tfmon.summary.Summaries;
import dev.tfmon.summary.SummaryWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.op.Ops;

/**
 * The default hooks' opt-in mode (issue 16): the global step fetched in one run out of N and when
 * a timer may fire. In a loop that alone advances the step, they fire at the same steps as in
 * TensorFlow 1.x's mode while most runs ask for nothing; a step advanced elsewhere is seen up to N
 * runs late.
 */
class StepFetchEveryNRunsTest {
  @TempDir Path dir;

  /** Counts the runs in which the wrapped hook asked for something. */
  static final class Counting implements SessionRunHook {
    final SessionRunHook hook;
    int asked;
    int runs;

    Counting(SessionRunHook hook) {
      this.hook = hook;
    }

    @Override
    public void begin(BeginContext context) {
      hook.begin(context);
    }

    @Override
    public void afterCreateSession(RunnableSession session, dev.tfmon.coord.Coordinator coordinator) {
      hook.afterCreateSession(session, coordinator);
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      SessionRunArgs request = hook.beforeRun(context);
      runs++;
      if (request != null) {
        asked++;
      }
      return request;
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      hook.afterRun(context, values);
    }

    @Override
    public void end(RunnableSession session) {
      hook.end(session);
    }
  }

  private record Outcome(List<Long> points, int asked, int runs) {}

  /** {@code runs} steps of a step counter every 10 steps, writing into {@code out}. */
  private static Outcome stepCounter(Path out, int fetchEveryN, int runs, long jumpAtRun) throws IOException {
    ManualClock clock = new ManualClock();
    Files.createDirectories(out);
    Counting counting;
    try (HookTesting.StepModel m = new HookTesting.StepModel(1)) {
      SummaryWriter writer = SummaryWriter.builder(out).graph(m.graph).build();
      counting =
          new Counting(
              StepCounterHook.builder().everyNSteps(10).fetchStepEveryNRuns(fetchEveryN)
                  .summaryWriter(writer).clock(clock).build());
      HookedSession hooked = m.start(counting);
      for (int i = 0; i < runs; i++) {
        if (i == jumpAtRun) {
          m.setStep(m.step() + 100); // advanced outside the hooked runs
        }
        clock.advanceSeconds(0.01);
        m.run(hooked);
      }
      writer.close();
    }
    List<ScalarPoint> points = ScalarSeries.readDirectory(out).get("global_step/sec");
    return new Outcome(points.stream().map(ScalarPoint::step).toList(), counting.asked, counting.runs);
  }

  // issue 16
  @Test
  void stepCounterFiresAtTheSameStepsWhileFetchingInFewRuns() throws IOException {
    Outcome everyRun = stepCounter(dir.resolve("n1"), 1, 100, -1);
    Outcome fewRuns = stepCounter(dir.resolve("n10"), 10, 100, -1);

    assertThat(everyRun.points()).containsExactly(11L, 21L, 31L, 41L, 51L, 61L, 71L, 81L, 91L);
    assertThat(fewRuns.points()).isEqualTo(everyRun.points());
    assertThat(everyRun.asked()).isEqualTo(100);
    // one run in ten, plus the run before each trigger (where the count says the timer may fire)
    assertThat(fewRuns.runs()).isEqualTo(100);
    assertThat(fewRuns.asked()).isBetween(10, 25);
  }

  // issue 16: what the mode changes, a step advanced elsewhere is seen up to N runs late.
  @Test
  void aStepAdvancedElsewhereIsSeenUpToNRunsLate() throws IOException {
    // At run 35 the step jumps by 100 outside the hooked runs.
    Outcome everyRun = stepCounter(dir.resolve("n1"), 1, 60, 35);
    Outcome fewRuns = stepCounter(dir.resolve("n10"), 10, 60, 35);

    // TensorFlow 1.x's mode sees the jump in the next run and fires at once (step 136).
    assertThat(everyRun.points()).containsSubsequence(31L, 136L);
    // Counting runs, the hook notices it at its next fetch, at most 10 runs later.
    long late = fewRuns.points().stream().filter(s -> s > 131).findFirst().orElseThrow();
    assertThat(late).isBetween(136L, 146L);
    // and fires every 10 steps from the step it then reads, as before
    assertThat(fewRuns.points()).contains(late + 10);
  }

  /** Summaries every 10 steps; returns the steps of the summaries written. */
  private static Outcome summaries(Path out, int fetchEveryN, int runs) throws IOException {
    Files.createDirectories(out);
    Counting counting;
    try (HookTesting.StepModel m = new HookTesting.StepModel(1)) {
      Ops tf = Ops.create(m.graph);
      var summary = Summaries.scalar(m.graph, "c", tf.constant(2f));
      SummaryWriter writer = SummaryWriter.builder(out).graph(m.graph).build();
      counting =
          new Counting(
              SummarySaverHook.builder().saveSteps(10).summaryOp(summary).fetchStepEveryNRuns(fetchEveryN)
                  .summaryWriter(writer).build());
      HookedSession hooked = m.start(counting);
      for (int i = 0; i < runs; i++) {
        m.run(hooked);
      }
      writer.close();
    }
    List<ScalarPoint> points = ScalarSeries.readDirectory(out).get("c");
    return new Outcome(points.stream().map(ScalarPoint::step).toList(), counting.asked, counting.runs);
  }

  // issue 16
  @Test
  void summariesAreWrittenAtTheSameStepsWhileFetchingInFewRuns() throws IOException {
    Outcome everyRun = summaries(dir.resolve("n1"), 1, 45);
    Outcome fewRuns = summaries(dir.resolve("n10"), 10, 45);

    assertThat(everyRun.points()).containsExactly(1L, 11L, 21L, 31L, 41L);
    assertThat(fewRuns.points()).isEqualTo(everyRun.points());
    assertThat(everyRun.asked()).isEqualTo(45);
    // saving runs (5) and one run in ten
    assertThat(fewRuns.asked()).isBetween(5, 12);
  }

  /** Checkpoints every 10 steps over {@code runs} runs; returns the saved steps. */
  private static Outcome checkpoints(Path out, int fetchEveryN, int runs) throws IOException {
    return checkpoints(out, CheckpointSaverHook.builder(out).saveSteps(10), fetchEveryN, runs, 0);
  }

  /** Checkpoints as {@code builder} says, the clock moving {@code secondsPerRun} before each run. */
  private static Outcome checkpoints(
      Path out, CheckpointSaverHook.Builder builder, int fetchEveryN, int runs, double secondsPerRun)
      throws IOException {
    Counting counting;
    ManualClock clock = new ManualClock();
    try (HookTesting.StepModel m = new HookTesting.StepModel(1)) {
      Ops tf = Ops.create(m.graph);
      tf.withName("w").variable(tf.constant(1f));
      counting =
          new Counting(
              builder.scaffold(m.scaffold).saveGraphDef(false).clock(clock)
                  .fetchStepEveryNRuns(fetchEveryN).build());
      HookedSession hooked = m.start(counting);
      m.afterCreateSession(counting);
      for (int i = 0; i < runs; i++) {
        clock.advanceSeconds(secondsPerRun);
        m.run(hooked);
      }
      counting.end(m.session);
    }
    TreeSet<Long> steps = new TreeSet<>();
    try (Stream<Path> files = Files.list(out)) {
      files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("model.ckpt-") && n.endsWith(".index"))
          .forEach(n -> steps.add(Long.parseLong(n.substring("model.ckpt-".length(), n.length() - ".index".length()))));
    }
    return new Outcome(List.copyOf(steps), counting.asked, counting.runs);
  }

  // issue 16
  @Test
  void checkpointsAreSavedAtTheSameStepsWhileFetchingInFewRuns() throws IOException {
    Outcome everyRun = checkpoints(dir.resolve("n1"), 1, 35);
    Outcome fewRuns = checkpoints(dir.resolve("n10"), 10, 35);

    // at creation, every 10 steps, and at the end (the saver keeps five)
    assertThat(everyRun.points()).containsExactly(0L, 10L, 20L, 30L, 35L);
    assertThat(fewRuns.points()).isEqualTo(everyRun.points());
    assertThat(everyRun.asked()).isEqualTo(35);
    assertThat(fewRuns.asked()).isBetween(4, 12);
  }

  // issue 16: a seconds timer is judged before the run, so it fires at the same runs.
  @Test
  void checkpointsEveryFewSecondsAreSavedAtTheSameStepsWhileFetchingInFewRuns() throws IOException {
    Outcome everyRun = checkpoints(dir.resolve("n1"), CheckpointSaverHook.builder(dir.resolve("n1")).saveSecs(1.0), 1, 12, 0.3);
    Outcome fewRuns = checkpoints(dir.resolve("n100"), CheckpointSaverHook.builder(dir.resolve("n100")).saveSecs(1.0), 100, 12, 0.3);

    // at creation, then once a second (every fourth run of 0.3 s), and at the end
    assertThat(everyRun.points()).containsExactly(0L, 4L, 8L, 12L);
    assertThat(fewRuns.points()).isEqualTo(everyRun.points());
    // the first run, and each run where the second was up
    assertThat(fewRuns.asked()).isEqualTo(4);
  }

  // issue 16
  @Test
  void fetchStepEveryNRunsBelowOneIsRefusedAtBuild() {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      var summary = Summaries.scalar(g, "x", Ops.create(g).constant(1f));
      List<IntFunction<Object>> builders =
          List.of(
              n -> StepCounterHook.builder().fetchStepEveryNRuns(n).build(),
              n -> SummarySaverHook.builder().saveSteps(1).summaryOp(summary).fetchStepEveryNRuns(n).build(),
              n -> CheckpointSaverHook.builder(Path.of("unused")).saveSteps(1).fetchStepEveryNRuns(n).build());
      for (IntFunction<Object> b : builders) {
        assertThatThrownBy(() -> b.apply(0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("expected fetchStepEveryNRuns of at least 1, but got 0");
        assertThat(b.apply(3)).isNotNull();
      }
    }
  }
}

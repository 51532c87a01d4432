package dev.tfmon.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.HookedSession;
import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.ScalarSeries;
import dev.tfmon.summary.Summaries;
import dev.tfmon.summary.SummaryWriter;
import dev.tfmon.testing.ManualClock;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

class SummarySaverHookTest {
  @TempDir Path dir;

  /** summary_op = scalar my_summary of (var += 1.0): its value counts the evaluations. */
  private static Output<TString> countingSummary(Graph g, boolean resource) {
    Ops tf = Ops.create(g);
    Operand<TFloat32> tensor;
    if (resource) {
      var handle = tf.withName("var").varHandleOp(TFloat32.class, Shape.scalar());
      var zero = tf.withName("var_zero").constant(0f);
      var assign = tf.withName("var_assign").assignVariableOp(handle, zero);
      var read = tf.withName("var_read").readVariableOp(handle, TFloat32.class);
      dev.tfmon.graph.GraphCollections.of(g)
          .add(
              dev.tfmon.graph.CollectionKeys.GLOBAL_VARIABLES,
              new dev.tfmon.graph.GraphVariable(
                  handle.asOutput(), (org.tensorflow.GraphOperation) assign.op(), read.asOutput(), zero.asOutput(), true));
      var add = tf.assignAddVariableOp(handle, tf.constant(1f));
      tensor = tf.withControlDependencies(List.of(add)).readVariableOp(handle, TFloat32.class);
    } else {
      var v = tf.withName("var").variable(tf.constant(0f));
      tensor = tf.assignAdd(v, tf.constant(1f));
    }
    return Summaries.scalar(g, "my_summary", tensor);
  }

  // BHT-48
  @Test
  void bht48_raiseWhenScaffoldAndSummaryOpBothMissing() {
    assertThatThrownBy(() -> SummarySaverHook.builder().saveSteps(1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("set either a scaffold (for its summary op) or summary ops, but got neither");
  }

  // BHT-49
  @Test
  void bht49_raiseWhenScaffoldAndSummaryOpBothPresent() {
    try (Graph g = new Graph()) {
      Output<TString> op = countingSummary(g, false);
      assertThatThrownBy(() -> SummarySaverHook.builder().saveSteps(1).scaffold(Scaffold.of(g)).summaryOp(op).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("set either a scaffold (for its summary op) or summary ops, but got both");
    }
  }

  // BHT-50
  @Test
  void bht50_raiseInBothSecsAndSteps() {
    try (Graph g = new Graph()) {
      Output<TString> op = countingSummary(g, false);
      assertThatThrownBy(() -> SummarySaverHook.builder().saveSecs(10).saveSteps(20).summaryOp(op).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("saveSteps (20) and saveSecs (10.0) are both set: set only one of them");
    }
  }

  // BHT-51
  @Test
  void bht51_raiseInNoneSecsAndSteps() {
    try (Graph g = new Graph()) {
      Output<TString> op = countingSummary(g, false);
      assertThatThrownBy(() -> SummarySaverHook.builder().summaryOp(op).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("neither saveSteps nor saveSecs is set: set one of them");
    }
  }

  private Map<String, List<ScalarPoint>> runSteps(HookTesting.StepModel m, Output<TString> op, int saveSteps, int runs) {
    try (SummaryWriter writer = SummaryWriter.builder(dir).build()) {
      SummarySaverHook hook = SummarySaverHook.builder().saveSteps(saveSteps).summaryWriter(writer).summaryOp(op).build();
      HookedSession hooked = m.start(hook);
      for (int i = 0; i < runs; i++) {
        m.run(hooked);
      }
      hook.end(m.session);
    }
    return ScalarSeries.readDirectory(dir);
  }

  private static List<double[]> stepAndValue(List<ScalarPoint> points) {
    return points.stream().map(p -> new double[] {p.step(), p.value()}).toList();
  }

  // BHT-52
  @Test
  void bht52_saveSteps() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      Output<TString> op = countingSummary(m.graph, false);
      Map<String, List<ScalarPoint>> byTag = runSteps(m, op, 8, 30);
      assertThat(stepAndValue(byTag.get("my_summary")))
          .containsExactly(new double[] {1, 1}, new double[] {9, 2}, new double[] {17, 3}, new double[] {25, 4});
    }
    // The first run also writes SessionLog START at its step.
    List<Event> starts = EventFileReader.readDirectory(dir).stream().filter(Event::hasSessionLog).toList();
    assertThat(starts).singleElement().satisfies(e -> {
      assertThat(e.getSessionLog().getStatus()).isEqualTo(SessionLog.SessionStatus.START);
      assertThat(e.getStep()).isEqualTo(1);
    });
  }

  // BHT-54
  @Test
  void bht54_saveSecsSavingOnceEveryStep() {
    ManualClock clock = new ManualClock();
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      Output<TString> op = countingSummary(m.graph, false);
      try (SummaryWriter writer = SummaryWriter.builder(dir).build()) {
        SummarySaverHook hook =
            SummarySaverHook.builder().saveSecs(0.5).summaryWriter(writer).summaryOp(op).clock(clock).build();
        HookedSession hooked = m.start(hook);
        for (int i = 0; i < 4; i++) {
          m.run(hooked);
          clock.advanceSeconds(0.5);
        }
        hook.end(m.session);
      }
    }
    assertThat(stepAndValue(ScalarSeries.readDirectory(dir).get("my_summary")))
        .containsExactly(new double[] {1, 1}, new double[] {2, 2}, new double[] {3, 3}, new double[] {4, 4});
  }

  // BHT-62
  @Test
  void bht62_resourceVariablesSaveSteps() {
    try (Graph g = new Graph()) {
      HookTesting.resourceGlobalStep(g, "foo/global_step");
      try (HookTesting.StepModel m = HookTesting.StepModel.on(g)) {
        Output<TString> op = countingSummary(g, true);
        Map<String, List<ScalarPoint>> byTag = runSteps(m, op, 8, 30);
        assertThat(stepAndValue(byTag.get("my_summary")))
            .containsExactly(new double[] {1, 1}, new double[] {9, 2}, new double[] {17, 3}, new double[] {25, 4});
      }
    }
  }
}

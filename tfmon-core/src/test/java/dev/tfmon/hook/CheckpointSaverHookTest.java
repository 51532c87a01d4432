package dev.tfmon.hook;

import static dev.tfmon.hook.HookTesting.checkpointStep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.HookedSession;
import dev.tfmon.session.SingularMonitoredSession;
import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.SummaryWriterCache;
import dev.tfmon.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.types.TInt64;

class CheckpointSaverHookTest {
  @TempDir Path dir;

  @AfterEach
  void closeWriters() {
    SummaryWriterCache.clear();
  }

  /** Counts the listener calls. */
  static final class CountingListener implements CheckpointSaverListener {
    final AtomicInteger begin = new AtomicInteger();
    final AtomicInteger beforeSave = new AtomicInteger();
    final AtomicInteger afterSave = new AtomicInteger();
    final AtomicInteger end = new AtomicInteger();
    final List<Long> savedSteps = new ArrayList<>();
    volatile boolean askStop;

    @Override
    public void begin() {
      begin.incrementAndGet();
    }

    @Override
    public void beforeSave(RunnableSession session, long step) {
      beforeSave.incrementAndGet();
    }

    @Override
    public boolean afterSave(RunnableSession session, long step) {
      afterSave.incrementAndGet();
      savedSteps.add(step);
      return askStop;
    }

    @Override
    public void end(RunnableSession session, long step) {
      end.incrementAndGet();
    }
  }

  // BHT-18
  @Test
  void bht18_savesWhenSaverAndScaffoldBothMissing() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      CheckpointSaverHook hook = CheckpointSaverHook.builder(dir).saveSteps(1).build();
      HookedSession hooked = m.start(hook);
      m.run(hooked);
      assertThat(checkpointStep(dir)).isEqualTo(1);
    }
  }

  // BHT-19
  @Test
  void bht19_raiseWhenSaverAndScaffoldBothPresent() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      m.scaffold.finalizeScaffold();
      assertThatThrownBy(
              () -> CheckpointSaverHook.builder(dir).saveSteps(1).saver(m.scaffold.saver()).scaffold(m.scaffold).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "saver and scaffold are both set: the hook saves with the saver given, or else with the"
                  + " scaffold's; set only one of them");
    }
  }

  // BHT-20
  @Test
  void bht20_raiseInBothSecsAndSteps() {
    assertThatThrownBy(() -> CheckpointSaverHook.builder(dir).saveSecs(10).saveSteps(20).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("saveSteps (20) and saveSecs (10.0) are both set: set only one of them");
  }

  // BHT-21
  @Test
  void bht21_raiseInNoneSecsAndSteps() {
    assertThatThrownBy(() -> CheckpointSaverHook.builder(dir).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("neither saveSteps nor saveSecs is set: set one of them");
  }

  // BHT-22
  @Test
  void bht22_saveSecsSavesInFirstStep() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      CheckpointSaverHook hook = CheckpointSaverHook.builder(dir).saveSecs(2).scaffold(m.scaffold).build();
      HookedSession hooked = m.start(hook);
      m.run(hooked);
      assertThat(checkpointStep(dir)).isEqualTo(1);
    }
  }

  // BHT-24
  @Test
  void bht24_listenerWithMonitoredSession() {
    try (Graph g = new Graph()) {
      GlobalStep.getOrCreate(g);
      Operation train = GlobalStep.increment(g, 1);
      Scaffold scaffold = Scaffold.of(g);
      CountingListener listener = new CountingListener();
      CheckpointSaverHook hook =
          CheckpointSaverHook.builder(dir).saveSteps(1).scaffold(scaffold).listener(listener).build();
      long step;
      try (SingularMonitoredSession session =
          SingularMonitoredSession.builder(scaffold, "", null, dir, null).hook(hook).build()) {
        session.run(train);
        session.run(train);
        step = GlobalStep.value(session.rawSession());
      }
      assertThat(step).isEqualTo(2);
      assertThat(listener.begin.get()).isEqualTo(1);
      assertThat(listener.beforeSave.get()).isEqualTo(3);
      assertThat(listener.afterSave.get()).isEqualTo(3);
      assertThat(listener.end.get()).isEqualTo(1);
      assertThat(listener.savedSteps).containsExactly(0L, 1L, 2L);
    }
  }

  // BHT-26
  @Test
  void bht26_listenerWithDefaultSaver() {
    CountingListener listener = new CountingListener();
    try (Graph g = new Graph()) {
      GlobalStep.getOrCreate(g);
      Operation train = GlobalStep.increment(g, 1);
      CheckpointSaverHook hook = CheckpointSaverHook.builder(dir).saveSteps(1).listener(listener).build();
      try (SingularMonitoredSession session =
          SingularMonitoredSession.builder(Scaffold.of(g), "", null, dir, null).hook(hook).build()) {
        session.run(train);
        session.run(train);
        assertThat(GlobalStep.value(session.rawSession())).isEqualTo(2);
      }
    }
    assertThat(listener.begin.get()).isEqualTo(1);
    assertThat(listener.beforeSave.get()).isEqualTo(3);
    assertThat(listener.afterSave.get()).isEqualTo(3);
    assertThat(listener.end.get()).isEqualTo(1);
    try (Graph g2 = new Graph()) {
      GlobalStep.getOrCreate(g2);
      try (SingularMonitoredSession session =
          SingularMonitoredSession.builder(Scaffold.of(g2), "", null, dir, null).build()) {
        assertThat(GlobalStep.value(session.rawSession())).isEqualTo(2);
      }
    }
  }

  // BHT-28
  @Test
  void bht28_saveSecsSavesPeriodically() {
    ManualClock clock = new ManualClock();
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      CheckpointSaverHook hook = CheckpointSaverHook.builder(dir).saveSecs(2).scaffold(m.scaffold).clock(clock).build();
      HookedSession hooked = m.start(hook);
      m.run(hooked);
      clock.advanceSeconds(0.5);
      m.run(hooked);
      assertThat(checkpointStep(dir)).isEqualTo(1);
      clock.advanceSeconds(2.0);
      m.run(hooked);
      clock.advanceSeconds(0.1);
      m.run(hooked);
      clock.advanceSeconds(0.1);
      m.run(hooked);
      assertThat(checkpointStep(dir)).isEqualTo(3);
      clock.advanceSeconds(7.3);
      m.run(hooked);
      assertThat(checkpointStep(dir)).isEqualTo(6);
    }
  }

  // BHT-30
  @Test
  void bht30_saveStepsSavesInFirstStep() throws IOException {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      CheckpointSaverHook hook = CheckpointSaverHook.builder(dir).saveSteps(2).scaffold(m.scaffold).build();
      HookedSession hooked = m.start(hook);
      m.run(hooked);
      assertThat(checkpointStep(dir)).isEqualTo(1);
    }
    // Each save adds SessionLog CHECKPOINT with the unnumbered base path (HK-CKPT-7).
    SummaryWriterCache.clear();
    List<Event> logs = new ArrayList<>();
    for (Event e : EventFileReader.readDirectory(dir)) {
      if (e.hasSessionLog()) {
        logs.add(e);
      }
    }
    assertThat(logs).singleElement().satisfies(e -> {
      assertThat(e.getStep()).isEqualTo(1);
      assertThat(e.getSessionLog().getStatus()).isEqualTo(SessionLog.SessionStatus.CHECKPOINT);
      assertThat(e.getSessionLog().getCheckpointPath()).isEqualTo(dir.resolve("model.ckpt").toString());
    });
  }

  // BHT-31
  @Test
  void bht31_saveStepsSavesPeriodically() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      assertPeriodicSteps(m, "global_step");
    }
  }

  private void assertPeriodicSteps(HookTesting.StepModel m, String variable) {
    CheckpointSaverHook hook = CheckpointSaverHook.builder(dir).saveSteps(2).scaffold(m.scaffold).build();
    HookedSession hooked = m.start(hook);
    m.run(hooked);
    m.run(hooked);
    assertThat(HookTesting.checkpointStep(dir, variable)).isEqualTo(1);
    m.run(hooked);
    assertThat(HookTesting.checkpointStep(dir, variable)).isEqualTo(3);
    m.run(hooked);
    assertThat(HookTesting.checkpointStep(dir, variable)).isEqualTo(3);
    m.run(hooked);
    assertThat(HookTesting.checkpointStep(dir, variable)).isEqualTo(5);
  }

  // BHT-33
  @Test
  void bht33_summaryWriterDefs() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      CheckpointSaverHook hook = CheckpointSaverHook.builder(dir).saveSteps(2).scaffold(m.scaffold).build();
      HookedSession hooked = m.start(hook);
      m.afterCreateSession(hook);
      m.run(hooked);
      SummaryWriterCache.clear();
      List<MetaGraphDef> withSaver = new ArrayList<>();
      for (Event e : EventFileReader.readDirectory(dir)) {
        if (e.hasMetaGraphDef()) {
          try {
            MetaGraphDef meta = MetaGraphDef.parseFrom(e.getMetaGraphDef());
            if (meta.hasSaverDef()) {
              withSaver.add(meta);
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
          }
        }
      }
      // The writer's own start adds a meta graph without SaverDef (FW-1); the hook adds exactly one with it.
      assertThat(withSaver).singleElement().satisfies(meta -> {
        assertThat(meta.getSaverDef()).isEqualTo(m.scaffold.saver().saverDef());
        assertThat(meta.getGraphDef().getNodeList())
            .anySatisfy(n -> assertThat(n.getAttrMap()).containsKey("_output_shapes"));
        assertThat(meta.getGraphDef().getNodeCount()).isEqualTo(m.graph.toGraphDef().getNodeCount());
      });
    }
  }

  private long metaFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".meta")).count();
    }
  }

  // BHT-35
  @Test
  void bht35_saveGraphDef() throws IOException {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      CheckpointSaverHook hook =
          CheckpointSaverHook.builder(dir).saveSteps(1).scaffold(m.scaffold).saveGraphDef(true).build();
      HookedSession hooked = m.start(hook);
      m.afterCreateSession(hook);
      assertThat(dir.resolve("graph.pbtxt")).exists();
      assertThat(Files.readString(dir.resolve("graph.pbtxt"))).contains("_output_shapes");
      assertThat(metaFiles()).isEqualTo(1);
      assertThat(dir.resolve("model.ckpt-0.meta")).exists();
      m.run(hooked);
      assertThat(metaFiles()).isEqualTo(2);
    }
  }

  // BHT-36
  @Test
  void bht36_saveGraphDefFalse() throws IOException {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      CheckpointSaverHook hook =
          CheckpointSaverHook.builder(dir).saveSteps(1).scaffold(m.scaffold).saveGraphDef(false).build();
      HookedSession hooked = m.start(hook);
      m.afterCreateSession(hook);
      assertThat(dir.resolve("graph.pbtxt")).doesNotExist();
      assertThat(metaFiles()).isZero();
      m.run(hooked);
      assertThat(metaFiles()).isZero();
      assertThat(checkpointStep(dir)).isEqualTo(1);
    }
  }

  // BHT-37
  @Test
  void bht37_multiStepSaveStepsSavesInFirstStep() {
    try (HookTesting.StepModel m = new HookTesting.StepModel(5)) {
      CheckpointSaverHook hook =
          CheckpointSaverHook.builder(dir).saveSteps(10).scaffold(m.scaffold).stepsPerRun(5).build();
      HookedSession hooked = m.start(hook);
      m.run(hooked);
      assertThat(checkpointStep(dir)).isEqualTo(5);
    }
  }

  // BHT-39
  @Test
  void bht39_multiStepSaveStepsSavesAtEnd() {
    try (HookTesting.StepModel m = new HookTesting.StepModel(5)) {
      CheckpointSaverHook hook =
          CheckpointSaverHook.builder(dir).saveSteps(10).scaffold(m.scaffold).stepsPerRun(5).build();
      HookedSession hooked = m.start(hook);
      m.run(hooked);
      m.run(hooked);
      assertThat(checkpointStep(dir)).isEqualTo(5);
      hook.end(m.session);
      assertThat(checkpointStep(dir)).isEqualTo(10);
    }
  }

  // BHT-40
  @Test
  void bht40_resourceGlobalStepSavesPeriodically() {
    try (Graph g = new Graph()) {
      // A resource-variable global step named foo/global_step, listed in collection global_step.
      Ops tf = Ops.create(g);
      GraphOperation handle =
          g.opBuilder("VarHandleOp", "foo/global_step", tf.scope())
              .setAttr("dtype", DataType.DT_INT64)
              .setAttr("shape", org.tensorflow.ndarray.Shape.scalar())
              .setAttr("shared_name", "foo/global_step")
              .build();
      GraphOperation zero;
      try (TInt64 z = TInt64.scalarOf(0)) {
        zero = g.opBuilder("Const", "foo/global_step/Initializer/zeros", tf.scope()).setAttr("dtype", DataType.DT_INT64).setAttr("value", z).build();
      }
      GraphOperation init =
          g.opBuilder("AssignVariableOp", "foo/global_step/Assign", tf.scope())
              .addInput(handle.output(0)).addInput(zero.output(0)).setAttr("dtype", DataType.DT_INT64).build();
      GraphOperation read =
          g.opBuilder("ReadVariableOp", "foo/global_step/Read/ReadVariableOp", tf.scope())
              .addInput(handle.output(0)).setAttr("dtype", DataType.DT_INT64).build();
      GraphVariable step = new GraphVariable(handle.output(0), init, read.output(0), zero.output(0), false);
      GraphCollections.of(g).add(CollectionKeys.GLOBAL_VARIABLES, step);
      GraphCollections.of(g).add(CollectionKeys.GLOBAL_STEP, step);
      try (HookTesting.StepModel m = HookTesting.StepModel.on(g)) {
        assertPeriodicSteps(m, "foo/global_step");
      }
    }
  }

  @Test
  void listenerAskingToStopRequestsStopAndEveryListenerIsCalled() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      CountingListener stopper = new CountingListener();
      CountingListener other = new CountingListener();
      CheckpointSaverHook hook =
          CheckpointSaverHook.builder(dir).saveSteps(2).scaffold(m.scaffold).listener(stopper).listener(other).build();
      HookedSession hooked = m.start(hook);
      m.afterCreateSession(hook);
      m.run(hooked);
      assertThat(hooked.shouldStop()).isFalse();
      stopper.askStop = true;
      m.run(hooked);
      assertThat(hooked.shouldStop()).isTrue();
      assertThat(other.savedSteps).containsExactly(0L, 2L);
    }
  }

  @Test
  void graphWithoutGlobalStepFailsInBeginNamingTheHook() {
    try (Graph g = new Graph()) {
      assertThatThrownBy(() -> CheckpointSaverHook.builder(dir).saveSteps(1).build().begin(new BeginContext(g)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("CheckpointSaverHook needs a global step, but the graph has none");
    }
  }
}

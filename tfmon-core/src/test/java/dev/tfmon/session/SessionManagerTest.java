package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.DeadlineExceededException;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.graph.VariableChecks;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

class SessionManagerTest {

  /** A variable with an explicit initializer op (not TF Java's auto-registered one). */
  private record Var(Variable<TFloat32> v, org.tensorflow.op.core.Assign<TFloat32> assign) {
    static Var of(Graph g, String name, Operand<TFloat32> initial, Shape shape) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> v = tf.withName(name).variable(shape, TFloat32.class);
      return new Var(v, tf.withName(name + "_init").assign(v, initial));
    }

    Operation init() {
      return assign.op();
    }

    GraphVariable asGraphVariable(boolean trainable) {
      return new GraphVariable(v.asOutput(), (org.tensorflow.GraphOperation) init(), null, null, trainable);
    }
  }

  /** A fake clock whose sleeper advances it. */
  private static final class FakeTime {
    long nanos;
    final List<Duration> sleeps = new ArrayList<>();

    SessionManager.Builder on(SessionManager.Builder b) {
      Coordinator.Sleeper sleeper = d -> {
        sleeps.add(d);
        nanos += d.toNanos();
      };
      return b.clock(() -> nanos, sleeper);
    }
  }

  private static float[] read(NativeSession s, Operand<TFloat32> v) {
    try (RunResult r = s.runner().fetch(v).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      return t.shape().numDimensions() == 0 ? new float[] {t.getFloat()} : StdArrays.array1dCopyOf(t);
    }
  }

  private static Output<TString> reportAll(Graph g) {
    return VariableChecks.reportUninitialized(g, VariableChecks.allVariables(g));
  }

  private static SessionManager.Init initOp(Operation op) {
    return new SessionManager.Init().initOp(op);
  }

  private static final SessionManager.Restore NO_RESTORE = new SessionManager.Restore();

  // Scenario SMT-01, SMT-23.
  @Test
  void prepareSessionInitializes_SMT01_andWithAnAssertStyleReadyOp_SMT23() {
    for (boolean assertStyle : new boolean[] {false, true}) {
      try (Graph g = new Graph()) {
        Var v = Var.of(g, "v", Ops.create(g).constant(new float[] {1, 2, 3}), Shape.of(3));
        Output<?> ready = assertStyle
            ? VariableChecks.assertInitialized(g, List.of(v.v().asOutput()))
            : reportAll(g);
        SessionManager sm = SessionManager.builder(g).readyOp(castString(ready)).build();
        try (NativeSession s = sm.prepareSession("", null, NO_RESTORE, initOp(v.init()))) {
          assertThat(read(s, v.v())).containsExactly(1f, 2f, 3f);
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Output<TString> castString(Output<?> o) {
    return (Output<TString>) o;
  }

  // Scenario SMT-02, SMT-24.
  @Test
  void prepareSessionFeedsTheInitOp_SMT02_SMT24() {
    for (boolean assertStyle : new boolean[] {false, true}) {
      try (Graph g = new Graph();
          TFloat32 values = TFloat32.vectorOf(1, 2, 3)) {
        Ops tf = Ops.create(g);
        Placeholder<TFloat32> p = tf.withName("p").placeholder(TFloat32.class, Placeholder.shape(Shape.of(3)));
        Var v = Var.of(g, "v", p, Shape.of(3));
        Output<?> ready = assertStyle
            ? VariableChecks.assertInitialized(g, List.of(v.v().asOutput()))
            : reportAll(g);
        SessionManager sm = SessionManager.builder(g).readyOp(castString(ready)).build();
        SessionManager.Init init = initOp(v.init()).initFeeds(Map.of(p.asOutput(), values));
        try (NativeSession s = sm.prepareSession("", null, NO_RESTORE, init)) {
          assertThat(read(s, v.v())).containsExactly(1f, 2f, 3f);
        }
      }
    }
  }

  // Scenario SMT-03, SMT-25.
  @Test
  void prepareSessionCallsTheInitFn_SMT03_SMT25() {
    for (boolean assertStyle : new boolean[] {false, true}) {
      try (Graph g = new Graph()) {
        Var v = Var.of(g, "v", Ops.create(g).constant(new float[] {125}), Shape.of(1));
        Output<?> ready = assertStyle
            ? VariableChecks.assertInitialized(g, List.of(v.v().asOutput()))
            : reportAll(g);
        SessionManager sm = SessionManager.builder(g).readyOp(castString(ready)).build();
        SessionManager.Init init =
            new SessionManager.Init().initFn(null, (scaffold, s) -> s.runner().addTarget(v.init()).run().close());
        try (NativeSession s = sm.prepareSession("", null, NO_RESTORE, init)) {
          assertThat(read(s, v.v())).containsExactly(125f);
        }
      }
    }
  }

  // Scenario SMT-06.
  @Test
  void recoverSessionRestoresFromADirectoryOrAPath_SMT06(@TempDir Path dir) {
    try (Graph g = new Graph()) {
      Var v = Var.of(g, "v", Ops.create(g).constant(1f), Shape.scalar());
      SessionManager sm = SessionManager.builder(g).readyOp(reportAll(g)).build();
      Saver saver = Saver.builder(g).variableNames(List.of("v")).build();
      SessionManager.SessionAndStatus first =
          sm.recoverSession("", null, new SessionManager.Restore().saver(saver).checkpointDir(dir));
      try (NativeSession s = first.session()) {
        assertThat(first.ok()).isFalse();
        s.runner().addTarget(v.init()).run().close();
        assertThat(read(s, v.v())).containsExactly(1f);
        saver.save(s, dir.resolve("recover_session_checkpoint").toString());
      }
    }
    String latest = Checkpoints.latestCheckpoint(dir).orElseThrow();
    for (int round = 0; round < 2; round++) {
      try (Graph g = new Graph()) {
        Var v = Var.of(g, "v", Ops.create(g).constant(2f), Shape.scalar());
        Output<TString> ready = reportAll(g);
        SessionManager sm = SessionManager.builder(g).readyOp(ready).build();
        Saver saver = Saver.builder(g).variableNames(List.of("v")).build();
        SessionManager.Restore restore = new SessionManager.Restore().saver(saver);
        if (round == 0) {
          restore.checkpointDir(dir);
        } else {
          restore.checkpointPath(latest);
        }
        SessionManager.SessionAndStatus recovered = sm.recoverSession("", null, restore);
        try (NativeSession s = recovered.session()) {
          assertThat(recovered.ok()).isTrue();
          assertThat(SessionManager.ready(ready, s)).isEmpty();
          assertThat(read(s, v.v())).containsExactly(1f);
        }
        assertThatThrownBy(
                () -> sm.recoverSession("", null, new SessionManager.Restore().saver(saver).checkpointDir(dir).checkpointPath(latest)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("checkpointDir (" + dir + ") and checkpointPath (" + latest + ") are both set");
      }
    }
  }

  // Scenario SMT-07, SMT-28.
  @Test
  void waitForSessionGivesUpAfterMaxWait_SMT07_SMT28() {
    for (boolean assertStyle : new boolean[] {false, true}) {
      try (Graph g = new Graph()) {
        Var v = Var.of(g, "v", Ops.create(g).constant(1f), Shape.scalar());
        Output<?> ready = assertStyle
            ? VariableChecks.assertInitialized(g, List.of(v.v().asOutput()))
            : reportAll(g);
        FakeTime time = new FakeTime();
        SessionManager sm =
            time.on(SessionManager.builder(g).readyOp(castString(ready)).recoveryWait(Duration.ofSeconds(1))).build();
        assertThatThrownBy(() -> sm.waitForSession("", null, Duration.ofSeconds(3)))
            .isInstanceOf(DeadlineExceededException.class)
            .hasMessageStartingWith(
                "DEADLINE_EXCEEDED: the model was still not ready after waiting 3 s (maxWait) for the chief"
                    + " to initialize it: ")
            .hasMessageContaining("v");
        // checks at 0, 1, 2 and 3 s: after the last one a further wait would pass the limit
        assertThat(time.sleeps).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
      }
    }
  }

  // Scenario SMT-08.
  @Test
  void aReadyForLocalInitOpNeedsALocalInitOp_SMT08() {
    try (Graph g = new Graph()) {
      Var.of(g, "v", Ops.create(g).constant(1f), Shape.scalar());
      Output<TString> globals = reportAll(g);
      // issue 15 item 9: the message in our own words (TF's is carried over no more)
      assertThatThrownBy(() -> SessionManager.builder(g).readyForLocalInitOp(globals).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("readyForLocalInitOp (")
          .hasMessageEndingWith(
              ") is set but localInitOp is not: that check only guards a local init op, so set"
                  + " localInitOp too, or neither");
    }
  }

  // Scenario SMT-10.
  @Test
  void recoverSkipsLocalInitWhenNotReadyForIt_SMT10(@TempDir Path dir) {
    try (Graph g = new Graph()) {
      Var v = Var.of(g, "v", Ops.create(g).constant(1f), Shape.scalar());
      Saver saver = Saver.builder(g).variableNames(List.of("v")).build();
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(v.init()).run().close();
        saver.save(s, dir.resolve("recover_session_checkpoint").toString());
      }
    }
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Var v = Var.of(g, "v", tf.constant(2f), Shape.scalar());
      Var w = Var.of(g, "w", tf.constant(2f), Shape.scalar());
      GraphCollections.of(g).add(CollectionKeys.LOCAL_VARIABLES, w.asGraphVariable(false));
      Output<TString> all = reportAll(g);
      SessionManager sm =
          SessionManager.builder(g).readyOp(all).readyForLocalInitOp(reportAll(g)).localInitOp(w.init()).build();
      Saver saver = Saver.builder(g).variableNames(List.of("v")).build();
      SessionManager.SessionAndStatus r =
          sm.recoverSession("", null, new SessionManager.Restore().saver(saver).checkpointDir(dir));
      try (NativeSession s = r.session()) {
        assertThat(r.ok()).isFalse();
        assertThat(read(s, v.v())).containsExactly(1f);
        assertThat(SessionManager.ready(all, s)).contains("Variables not initialized: w");
      }
    }
  }

  // Scenario SMT-11.
  @Test
  void recoverWithoutCheckpointStillRunsLocalInit_SMT11() {
    try (Graph g = new Graph()) {
      Var w = Var.of(g, "w", Ops.create(g).constant(1f), Shape.scalar());
      GraphCollections.of(g).add(CollectionKeys.LOCAL_VARIABLES, w.asGraphVariable(false));
      SessionManager sm = SessionManager.builder(g).readyOp(reportAll(g)).localInitOp(w.init()).build();
      SessionManager.SessionAndStatus r = sm.recoverSession("", null, NO_RESTORE);
      try (NativeSession s = r.session()) {
        assertThat(r.ok()).isFalse();
        assertThat(read(s, w.v())).containsExactly(1f);
      }
    }
  }

  // Scenario SMT-15.
  @Test
  void waitForSessionTimesOutWhenLocalInitCannotMakeTheModelReady_SMT15() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var initial = tf.constant(1f);
      Var.of(g, "v", initial, Shape.scalar());
      // w = v: in TF1 a variable initialized from another reads that variable's initial value.
      Var w = Var.of(g, "w", initial, Shape.scalar());
      FakeTime time = new FakeTime();
      SessionManager sm =
          time.on(SessionManager.builder(g).readyOp(reportAll(g)).localInitOp(w.init()).recoveryWait(Duration.ofSeconds(1)))
              .build();
      assertThatThrownBy(() -> sm.waitForSession("", null, Duration.ofSeconds(3)))
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageContaining("the model was still not ready after waiting 3 s (maxWait)");
    }
  }

  // Scenario SMT-16.
  @Test
  void prepareRunsLocalInitOnceGlobalsAreReady_SMT16() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Var v = Var.of(g, "v", tf.constant(1f), Shape.scalar());
      Var w = Var.of(g, "w", v.v(), Shape.scalar());
      Var x = Var.of(g, "x", tf.math.mul(tf.constant(3f), v.v()), Shape.scalar());
      GraphCollections.of(g).add(CollectionKeys.LOCAL_VARIABLES, w.asGraphVariable(false));
      GraphCollections.of(g).add(CollectionKeys.LOCAL_VARIABLES, x.asGraphVariable(false));
      var localInit = tf.withControlDependencies(List.of(w.assign(), x.assign())).withName("local_init").noOp();
      SessionManager sm =
          SessionManager.builder(g)
              .readyOp(reportAll(g))
              .readyForLocalInitOp(VariableChecks.reportUninitialized(g, List.of(v.v().asOutput())))
              .localInitOp(localInit.op())
              .build();
      try (NativeSession s = sm.prepareSession("", null, NO_RESTORE, initOp(v.init()))) {
        assertThat(read(s, v.v())).containsExactly(1f);
        assertThat(read(s, w.v())).containsExactly(1f);
        assertThat(read(s, x.v())).containsExactly(3f);
      }
    }
  }

  // Scenario SMT-19, SMT-20, SMT-22.
  @Test
  void prepareFailsWhenALocalVariableStaysUninitialized_SMT19_SMT20_SMT22() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var initial = tf.constant(1f);
      Var v = Var.of(g, "v", initial, Shape.scalar());
      Var w = Var.of(g, "w", initial, Shape.scalar());
      SessionManager noLocalInit = SessionManager.builder(g).readyOp(reportAll(g)).build();
      // SMT-19 and SMT-20 (Python's list of one init op is one op here)
      assertThatThrownBy(() -> noLocalInit.prepareSession("", null, NO_RESTORE, initOp(v.init())))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("the model is not ready after initializing it with init op")
          .hasMessageContaining("Variables not initialized: w");
      // SMT-22: a local init op but no init op: v stays uninitialized
      SessionManager localOnly = SessionManager.builder(g).readyOp(reportAll(g)).localInitOp(w.init()).build();
      assertThatThrownBy(() -> localOnly.prepareSession("", null, NO_RESTORE, new SessionManager.Init()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("the model is not ready after initializing it with init op")
          .hasMessageContaining("Variables not initialized: v");
    }
  }

  // Scenario SMT-26.
  @Test
  void prepareWithoutAnyWayToInitializeFailsUntilTheCheckpointIsBack_SMT26(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("ckpt");
    Files.createDirectories(dir);
    try (Graph g = new Graph()) {
      Var v = Var.of(g, "v", Ops.create(g).constant(new float[] {1, 2, 3}), Shape.of(3));
      SessionManager sm = SessionManager.builder(g).readyOp(castString(VariableChecks.assertInitialized(g, List.of(v.v().asOutput())))).build();
      Saver saver = Saver.builder(g).variableNames(List.of("v")).build();
      try (NativeSession s =
          sm.prepareSession("", null, new SessionManager.Restore().saver(saver).checkpointDir(dir), initOp(v.init()))) {
        assertThat(read(s, v.v())).containsExactly(1f, 2f, 3f);
        saver.save(s, dir.resolve("prepare_session_checkpoint").toString());
      }
    }
    Path aside = tmp.resolve("aside");
    Files.move(dir, aside);
    Files.createDirectories(dir);
    try (Graph g = new Graph()) {
      Var v = Var.of(g, "v", Ops.create(g).constant(new float[] {6, 7, 8}), Shape.of(3));
      FakeTime time = new FakeTime();
      SessionManager sm =
          time.on(SessionManager.builder(g).readyOp(castString(VariableChecks.assertInitialized(g, List.of(v.v().asOutput()))))
                  .recoveryWait(Duration.ofSeconds(1)))
              .build();
      Saver saver = Saver.builder(g).variableNames(List.of("v")).build();
      SessionManager.Restore restore =
          new SessionManager.Restore().saver(saver).checkpointDir(dir).waitForCheckpoint(true, Duration.ofSeconds(2));
      assertThatThrownBy(() -> sm.prepareSession("", null, restore, new SessionManager.Init()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "the model was not restored and nothing can initialize it: there is no init op, init"
                  + " function or local init op (give the Scaffold one, or a checkpoint to restore)");
      assertThat(time.sleeps).hasSize(2);
      Files.delete(dir);
      Files.move(aside, dir);
      try (NativeSession s = sm.prepareSession("", null, restore, new SessionManager.Init())) {
        assertThat(read(s, v.v())).containsExactly(1f, 2f, 3f);
      }
    }
  }
}

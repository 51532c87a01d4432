package dev.tfmon.session;

import static dev.tfmon.session.Fixtures.floatOf;
import static dev.tfmon.session.Fixtures.longOf;
import static dev.tfmon.session.Fixtures.runFed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.AbortedException;
import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.errors.UnavailableException;
import dev.tfmon.errors.UnknownException;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.hook.Hooks;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.Fixtures.ConstAndIdentity;
import dev.tfmon.session.Fixtures.CountingSessionCreator;
import dev.tfmon.session.Fixtures.FakeHook;
import dev.tfmon.session.Fixtures.RaiseOnceAtCountN;
import dev.tfmon.session.Fixtures.Stepping;
import dev.tfmon.session.Fixtures.StopCoordinatorWithException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.DebugTensorWatch;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

class MonitoredSessionTest {

  // Scenario MST-059.
  @Test
  void defaultsInitializeTheModel_MST059() {
    try (Graph g = new Graph()) {
      Variable<TInt32> v = Ops.create(g).withName("v").variable(Ops.create(g).constant(0));
      try (MonitoredSession s = MonitoredSession.builder(g).build()) {
        assertThat(Fixtures.intOf(s.run(v))).isZero();
      }
    }
  }

  // Scenario MST-064.
  @Test
  void abortedRaisedByAHookRecreatesTheSessionAndRetriesTheStep_MST064() {
    retriesOnPreemption(() -> new AbortedException("Abort"));
  }

  // Scenario MST-065.
  @Test
  void unavailableRaisedByAHookRecreatesTheSessionAndRetriesTheStep_MST065() {
    retriesOnPreemption(() -> new UnavailableException("Unavailable"));
  }

  private void retriesOnPreemption(java.util.function.Supplier<RuntimeException> error) {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      RaiseOnceAtCountN hook = new RaiseOnceAtCountN(4, error);
      FakeHook watcher = new FakeHook();
      List<RecoveryEvent> events = new ArrayList<>();
      try (MonitoredSession s =
          MonitoredSession.builder(g).hook(hook).hook(watcher).recoveryListener(events::add).build()) {
        assertThat(longOf(s.run(st.value()))).isZero();
        assertThat(longOf(s.run(st.doStep()))).isEqualTo(1);
        assertThat(longOf(s.run(st.doStep()))).isEqualTo(2);
        assertThat(s.shouldStop()).isFalse();
        // The hook throws before this run; the session is rebuilt (no checkpoint: the step is
        // re-initialized to 0) and the step is run again.
        assertThat(longOf(s.run(st.doStep()))).isEqualTo(1);
        assertThat(s.shouldStop()).isFalse();
        assertThat(hook.raised).isTrue();
        assertThat(longOf(s.run(st.doStep()))).isEqualTo(2);
        assertThat(s.shouldStop()).isFalse();
        assertThat(watcher.afterCreate).hasValue(2);
        assertThat(s.recoveries()).isEqualTo(1);
        assertThat(events).singleElement().satisfies(e -> {
          assertThat(e.attempt()).isEqualTo(1);
          assertThat(e.globalStepBefore()).hasValue(2);
          assertThat(e.globalStepAfter()).hasValue(0);
        });
      }
      assertThat(watcher.end).hasValue(1);
    }
  }

  // Scenario MST-067.
  @Test
  void outOfRangeIsACleanEnd_MST067() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      RaiseOnceAtCountN hook = new RaiseOnceAtCountN(2, () -> new OutOfRangeException("EOI"));
      FakeHook watcher = new FakeHook();
      MonitoredSession s = MonitoredSession.builder(g).hook(hook).hook(watcher).build();
      AtomicBoolean afterTheFailingRun = new AtomicBoolean();
      long steps =
          s.runUntilStopped(
              session -> {
                if (watcher.beforeRun.get() == 0) {
                  assertThat(longOf(session.run(st.value()))).isZero();
                  assertThat(session.shouldStop()).isFalse();
                  return;
                }
                session.run(st.doStep()).close();
                afterTheFailingRun.set(true);
              });
      assertThat(steps).isEqualTo(1);
      assertThat(afterTheFailingRun).isFalse();
      assertThat(s.shouldStop()).isTrue();
      s.close();
      assertThat(s.shouldStop()).isTrue();
      assertThat(watcher.end).as("OUT_OF_RANGE is a clean end: end() runs").hasValue(1);
    }
  }

  // Scenario MST-069.
  @Test
  void aRegularErrorPassesThroughWithoutRetry_MST069() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      RaiseOnceAtCountN hook = new RaiseOnceAtCountN(4, () -> new IllegalStateException("regular exception"));
      FakeHook watcher = new FakeHook();
      MonitoredSession s = MonitoredSession.builder(g).hook(hook).hook(watcher).build();
      assertThatThrownBy(
              () -> {
                try (s) {
                  assertThat(longOf(s.run(st.value()))).isZero();
                  assertThat(longOf(s.run(st.doStep()))).isEqualTo(1);
                  assertThat(longOf(s.run(st.doStep()))).isEqualTo(2);
                  assertThat(s.shouldStop()).isFalse();
                  s.run(st.doStep()).close();
                }
              })
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("regular exception");
      assertThat(hook.raised).isTrue();
      assertThat(s.shouldStop()).isTrue();
      assertThat(watcher.end).as("end() is skipped after a failure").hasValue(0);
    }
  }

  // Scenario MST-071.
  @Test
  void anErrorReportedToTheCoordinatorStopsAndSurfacesAtClose_MST071() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      assertThatThrownBy(
              () -> {
                try (MonitoredSession s = MonitoredSession.builder(g).build()) {
                  assertThat(longOf(s.run(st.value()))).isZero();
                  s.coordinator().requestStop(new IllegalStateException("a thread wants to stop"));
                  assertThat(s.shouldStop()).isTrue();
                }
              })
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("a thread wants to stop");
    }
  }

  // Scenario MST-072.
  @Test
  void cleanExitClosesTheSession_MST072() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      MonitoredSession s = MonitoredSession.builder(g).build();
      try (s) {
        assertThat(longOf(s.run(st.doStep()))).isEqualTo(1);
        assertThat(longOf(s.run(st.doStep()))).isEqualTo(2);
        assertThat(s.shouldStop()).isFalse();
      }
      assertThat(s.shouldStop()).isTrue();
      assertThat(s.isClosed()).isTrue();
      assertThatThrownBy(() -> s.run(st.value()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("this monitored session is closed");
    }
  }

  // Scenario MST-073.
  @Test
  void userErrorsInTheBodyReachTheCallerAndTheSessionCloses_MST073() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      MonitoredSession s = MonitoredSession.builder(g).build();
      assertThatThrownBy(
              () -> {
                try (s) {
                  assertThat(longOf(s.run(st.doStep()))).isEqualTo(1);
                  assertThat(longOf(s.run(st.doStep()))).isEqualTo(2);
                  assertThat(s.shouldStop()).isFalse();
                  throw new IllegalStateException("regular exception");
                }
              })
          .hasMessage("regular exception");
      assertThat(s.shouldStop()).isTrue();
      assertThat(s.isClosed()).isTrue();
    }
  }

  // Scenario MST-074, MST-075.
  @Test
  void graphIsTheCreatorsAndIsFinalizedOnlyWhileRunning_MST074_MST075() {
    try (Graph g = new Graph()) {
      Variable<TInt32> v = Ops.create(g).withName("v").variable(Ops.create(g).constant(0));
      assertThat(GraphFinalization.isFinalized(g)).isFalse();
      try (MonitoredSession s = MonitoredSession.builder(g).build()) {
        assertThat(s.graph()).isSameAs(g);
        assertThat(Fixtures.intOf(s.run(v))).isZero();
        assertThat(GraphFinalization.isFinalized(g)).isTrue();
        assertThatThrownBy(() -> dev.tfmon.graph.GlobalStep.create(g))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("Graph is finalized");
      }
      assertThat(GraphFinalization.isFinalized(g)).isFalse();
    }
  }

  // Scenario MST-077.
  @Test
  void runOptionsOfHooksAreMerged_MST077() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var myConst = tf.withName("my_const").constant(42);
      tf.withName("my_const_2").constant(24);
      RunOptions a =
          RunOptions.newBuilder()
              .setTraceLevelValue(2)
              .setTimeoutInMs(30000)
              .setOutputPartitionGraphs(false)
              .setReportTensorAllocationsUponOom(false)
              .setDebugOptions(
                  org.tensorflow.proto.DebugOptions.newBuilder()
                      .addDebugTensorWatchOpts(
                          DebugTensorWatch.newBuilder().setNodeName("my_const").setOutputSlot(0).addDebugOps("DebugIdentity")))
              .build();
      RunOptions b =
          RunOptions.newBuilder()
              .setTraceLevelValue(3)
              .setTimeoutInMs(60000)
              .setOutputPartitionGraphs(true)
              .setReportTensorAllocationsUponOom(true)
              .setDebugOptions(
                  org.tensorflow.proto.DebugOptions.newBuilder()
                      .addDebugTensorWatchOpts(
                          DebugTensorWatch.newBuilder().setNodeName("my_const_2").setOutputSlot(0).addDebugOps("DebugIdentity")))
              .build();
      List<RunOptions> seenByB = new ArrayList<>();
      List<RunMetadata> metadataSeenByB = new ArrayList<>();
      SessionRunHook hookA = Hooks.beforeRun(ctx -> SessionRunArgs.builder().options(a).build());
      SessionRunHook hookB =
          new SessionRunHook() {
            @Override
            public SessionRunArgs beforeRun(SessionRunContext context) {
              return SessionRunArgs.builder().options(b).build();
            }

            @Override
            public void afterRun(SessionRunContext context, SessionRunValues values) {
              seenByB.add(values.options());
              metadataSeenByB.add(values.runMetadata());
            }
          };
      try (MonitoredSession s = MonitoredSession.builder(g).hook(hookA).hook(hookB).build()) {
        assertThat(Fixtures.intOf(s.run(myConst))).isEqualTo(42);
      }
      assertThat(seenByB).singleElement().satisfies(o -> {
        assertThat(o.getTraceLevelValue()).isEqualTo(3);
        assertThat(o.getTimeoutInMs()).isEqualTo(60000);
        assertThat(o.getOutputPartitionGraphs()).isTrue();
        assertThat(o.getReportTensorAllocationsUponOom()).isTrue();
        assertThat(o.getDebugOptions().getDebugTensorWatchOptsList())
            .extracting(DebugTensorWatch::getNodeName)
            .containsExactly("my_const", "my_const_2");
      });
      assertThat(metadataSeenByB).singleElement().satisfies(m -> assertThat(m.getPartitionGraphsCount()).isPositive());
    }
  }

  // Scenario MST-079.
  @Test
  void closeTwiceIsANoOp_deliberateChangeFromMST079() {
    // TF 1.x raises "Session is already closed" on the second close (MST-079); tfmon follows
    // Java's Closeable convention instead: the second close does nothing and calls no hook.
    try (Graph g = new Graph()) {
      Stepping.build(g);
      FakeHook hook = new FakeHook();
      try (MonitoredSession s = MonitoredSession.builder(g).hook(hook).build()) {
        s.close();
        assertThat(s.isClosed()).isTrue();
      }
      assertThat(hook.end).hasValue(1);
    }
  }

  // Scenario MST-080.
  @Test
  void stepFnRunsWithHooks_MST080() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> c = tf.withName("c").placeholder(TFloat32.class);
      var v = tf.withName("v").identity(c);
      try (MonitoredSession s = MonitoredSession.builder(g).build();
          TFloat32 x = TFloat32.scalarOf(3.2f)) {
        float out =
            s.runStepFn(step -> floatOf(step.runWithHooks(SessionRunArgs.builder().fetch(v).feed(c, x).build())));
        assertThat(out).isCloseTo(3.2f, within(0.1f));
      }
    }
  }

  // Scenario MST-081, MST-083.
  @Test
  void aStepRequestingStopEndsTheLoopCleanly_MST081_MST083() {
    try (Graph g = new Graph()) {
      Stepping.build(g);
      AtomicInteger invocations = new AtomicInteger();
      try (MonitoredSession s = MonitoredSession.builder(g).build()) {
        s.runUntilStopped(
            session -> {
              session.runStepFn(step -> {
                invocations.incrementAndGet();
                return step.requestStop();
              });
              fail("the line after a step that requested stop must not run");
            });
        assertThat(s.shouldStop()).isTrue();
      }
      assertThat(invocations).hasValue(1);
    }
  }

  // Scenario MST-084.
  @Test
  void stepFnReturnsWhatTheStepReturns_MST084() {
    try (Graph g = new Graph()) {
      Stepping.build(g);
      try (MonitoredSession s = MonitoredSession.builder(g).build()) {
        String result = s.runStepFn(step -> "a type");
        assertThat(result).isEqualTo("a type");
      }
    }
  }

  /** The stages of MST-088 (ref variables; the ordering, not the variable kind, is what matters). */
  private record Stages(Variable<TFloat32> var, org.tensorflow.Operand<TFloat32> stage0,
      org.tensorflow.Operand<TFloat32> stage10, org.tensorflow.Operand<TFloat32> stage11,
      org.tensorflow.Operand<TFloat32> stage2) {
    static Stages build(Graph g) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> var = tf.withName("var").variable(tf.constant(0f));
      var s0 = tf.withName("stage_0").assignAdd(var, tf.constant(0.3f));
      var s10 = tf.withName("stage_1_0").assignAdd(var, tf.constant(0.7f));
      var s11 = tf.withControlDependencies(List.of(s10)).withName("stage_1_1").assignAdd(var, tf.constant(0.5f));
      var s2 = tf.withName("stage_2").assignAdd(var, tf.constant(1.1f));
      return new Stages(var, s0, s10, s11, s2);
    }
  }

  private void stepFnMergesHookFetches(java.util.function.BiFunction<Graph, SessionRunHook, AbstractMonitoredSession> open) {
    try (Graph g = new Graph()) {
      Stages st = Stages.build(g);
      List<Float> checks = new ArrayList<>();
      SessionRunHook hook =
          new SessionRunHook() {
            @Override
            public SessionRunArgs beforeRun(SessionRunContext context) {
              return SessionRunArgs.fetch(st.stage10());
            }

            @Override
            public void afterRun(SessionRunContext context, SessionRunValues values) {
              checks.add(floatOf(context.session().runner().fetch(st.var()).run()));
              checks.add(floatOf(context.session().runner().fetch(st.stage2()).run()));
            }
          };
      try (AbstractMonitoredSession s = open.apply(g, hook)) {
        float result =
            s.runStepFn(
                step -> {
                  checks.add(floatOf(step.session().runner().fetch(st.stage0()).run()));
                  return floatOf(step.runWithHooks(SessionRunArgs.fetch(st.stage11())));
                });
        assertThat(result).isCloseTo(1.5f, within(1e-5f));
      }
      assertThat(checks).hasSize(3);
      assertThat(checks.get(0)).isCloseTo(0.3f, within(1e-5f));
      assertThat(checks.get(1)).isCloseTo(1.5f, within(1e-5f));
      assertThat(checks.get(2)).isCloseTo(2.6f, within(1e-5f));
    }
  }

  // Scenario MST-088.
  @Test
  void stepFnMixesRawAndHookedRuns_MST088() {
    stepFnMergesHookFetches((g, h) -> MonitoredSession.builder(g).hook(h).build());
  }

  // Scenario MST-089.
  @Test
  void stepFnHasTheSameHookBehaviourWithoutRecovery_MST089() {
    stepFnMergesHookFetches((g, h) -> SingularMonitoredSession.builder(g).hook(h).build());
  }

  // Scenario MST-090.
  @Test
  void aStepThatStopsAtOnceCallsNoHook_MST090() {
    try (Graph g = new Graph()) {
      Stepping.build(g);
      FakeHook hook = new FakeHook();
      try (MonitoredSession s = MonitoredSession.builder(g).hook(hook).build()) {
        s.runUntilStopped(session -> session.runStepFn(StepContext::requestStop));
        assertThat(s.shouldStop()).isTrue();
      }
      assertThat(hook.beforeRun).hasValue(0);
      assertThat(hook.afterRun).hasValue(0);
    }
  }

  // Scenario MST-091.
  @Test
  void anAbortedStepFunctionIsCalledAgainOnANewSession_MST091() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> c = tf.withName("c").placeholder(TFloat32.class);
      var v = tf.withName("v").identity(c);
      AtomicInteger calls = new AtomicInteger();
      List<NativeSession> sessionsSeen = new ArrayList<>();
      try (MonitoredSession s = MonitoredSession.builder(g).build();
          TFloat32 x = TFloat32.scalarOf(3.2f)) {
        float out =
            s.runStepFn(
                step -> {
                  sessionsSeen.add(step.session());
                  if (calls.incrementAndGet() == 1) {
                    throw new AbortedException("Abort");
                  }
                  return floatOf(step.runWithHooks(SessionRunArgs.builder().fetch(v).feed(c, x).build()));
                });
        assertThat(out).isCloseTo(3.2f, within(0.1f));
      }
      assertThat(calls).hasValue(2);
      // Unlike TF 1.x, the retried call gets the new raw session, not the closed one.
      assertThat(sessionsSeen.get(1)).isNotSameAs(sessionsSeen.get(0));
      assertThat(sessionsSeen.get(0).isClosed()).isTrue();
    }
  }

  // Scenario MST-042, MST-045.
  @Test
  void abortedReportedThroughTheCoordinatorRecreatesTheSession_MST042_MST045() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      try (MonitoredSession s =
          MonitoredSession.builder(creator)
              .hook(new StopCoordinatorWithException(2, () -> new AbortedException("Aborted at N")))
              .build()) {
        assertThat(creator.count).hasValue(1);
        assertThat(s.shouldStop()).isFalse();
        assertThat(runMonitored(s, f, 51)).isEqualTo(51);
        assertThat(s.shouldStop()).isFalse();
        assertThat(runMonitored(s, f, 42)).isEqualTo(42);
        assertThat(s.shouldStop()).isFalse();
        assertThat(creator.count).hasValue(2);
      }
    }
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      try (MonitoredSession s =
          MonitoredSession.builder(creator)
              .hook(new StopCoordinatorWithException(2, () -> new AbortedException("Aborted at N")))
              .build()) {
        assertThat(stepWithHooks(s, f, 51)).isEqualTo(51);
        assertThat(stepWithHooks(s, f, 42)).isEqualTo(42);
        assertThat(s.shouldStop()).isFalse();
        assertThat(creator.count).hasValue(2);
      }
    }
  }

  // Scenario MST-046, MST-049.
  @Test
  void aFatalErrorReportedThroughTheCoordinatorStopsAndSurfacesAtClose_MST046_MST049() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      MonitoredSession s =
          MonitoredSession.builder(creator)
              .hook(
                  new StopCoordinatorWithException(
                      2, () -> new UnknownException("Some fatal exception inside the coordinator.")))
              .build();
      assertThat(stepWithHooks(s, f, 51)).isEqualTo(51);
      assertThat(stepWithHooks(s, f, 42)).isEqualTo(42);
      assertThat(s.shouldStop()).isTrue();
      assertThat(creator.count).hasValue(1);
      assertThatThrownBy(s::close)
          .isInstanceOf(UnknownException.class)
          .hasMessageContaining("Some fatal exception inside the coordinator.");
    }
  }

  // Scenario MST-050.
  @Test
  void aSessionStuckAfterACoordinatorAbortIsRecreated_MST050() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      try (MonitoredSession s =
          MonitoredSession.builder(creator).hook(new Fixtures.FailTrainingAfterCoordinatorStopped(2)).build()) {
        assertThat(stepWithHooks(s, f, 51)).isEqualTo(51);
        assertThat(stepWithHooks(s, f, 42)).isEqualTo(42);
        assertThat(s.shouldStop()).isFalse();
        assertThat(creator.count).hasValue(2);
      }
    }
  }

  // Scenario MST-048. Python swaps in a seam so that raw runs pass through hooks; in Java the raw
  // session is the real one, so the Aborted is reported by the step itself after its raw run, and
  // the monitored session must notice it at the next shouldStop() and rebuild the session.
  @Test
  void anAbortedReportedWhileTheStepUsesTheRawSessionRecreatesIt_MST048() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      FakeHook watcher = new FakeHook();
      try (MonitoredSession s = MonitoredSession.builder(creator).hook(watcher).build()) {
        int first =
            s.runStepFn(
                step -> {
                  int v = runFed(new RawSessionLayer(step.session()), f, 51);
                  watcher.lastCoordinator.requestStop(new AbortedException("Aborted at N"));
                  return v;
                });
        assertThat(first).isEqualTo(51);
        assertThat(s.shouldStop()).isFalse();
        assertThat(creator.count).hasValue(2);
        int second = s.runStepFn(step -> runFed(new RawSessionLayer(step.session()), f, 42));
        assertThat(second).isEqualTo(42);
        assertThat(s.shouldStop()).isFalse();
        assertThat(creator.count).hasValue(2);
      }
    }
  }

  @Test
  void runWithoutHooksCallsNoHookButRecovers() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      FakeHook hook = new FakeHook();
      try (MonitoredSession s = MonitoredSession.builder(g).hook(hook).build()) {
        assertThat(longOf(s.runner().fetch(st.doStep()).withoutHooks().run())).isEqualTo(1);
        assertThat(hook.beforeRun).hasValue(0);
        assertThat(longOf(s.runner().fetch(st.doStep()).run())).isEqualTo(2);
        assertThat(hook.beforeRun).hasValue(1);
      }
    }
  }

  @Test
  void hookOrderAtCreationRunAndClose() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      FakeHook hook = new FakeHook();
      try (MonitoredSession s = MonitoredSession.builder(g).hook(hook).build()) {
        s.run(st.doStep()).close();
      }
      assertThat(hook.calls).containsExactly("begin", "after_create_session", "before_run", "after_run", "end");
    }
  }

  private static int runMonitored(AbstractMonitoredSession s, ConstAndIdentity f, int value) {
    try (TInt32 t = TInt32.scalarOf(value)) {
      return Fixtures.intOf(s.run(SessionRunArgs.builder().fetch(f.v()).feed(f.c(), t).build()));
    }
  }

  private static int stepWithHooks(AbstractMonitoredSession s, ConstAndIdentity f, int value) {
    return s.runStepFn(
        step -> {
          try (TInt32 t = TInt32.scalarOf(value)) {
            return Fixtures.intOf(step.runWithHooks(SessionRunArgs.builder().fetch(f.v()).feed(f.c(), t).build()));
          }
        });
  }
}

package dev.tfmon.session;

import static dev.tfmon.session.Fixtures.intOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.AbortedException;
import dev.tfmon.errors.InternalException;
import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.errors.StatusCode;
import dev.tfmon.errors.UnavailableException;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.Fixtures.ConstAndIdentity;
import dev.tfmon.session.Fixtures.CountingSessionCreator;
import dev.tfmon.session.Fixtures.FakeHook;
import dev.tfmon.session.Fixtures.RaiseOnceAtCountN;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TInt32;

/**
 * Issue 15 item 2: every call goes down through every layer. A run without hooks is passed by the
 * hooked layer only; the coordinated layer and the recovery layer still act on it. The singular
 * session has a pass-through recovery layer, and {@link RecoveryPolicy} is the one definition of a
 * recoverable error.
 */
class HonestLayersTest {

  // issue 15 item 2
  @Test
  void theHookedLayerPassesARunWithoutHooksBy() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      FakeHook hook = new FakeHook();
      try (HookedSession hooked = new HookedSession(new RawSessionLayer(NativeSession.open(g)), List.of(hook))) {
        try (TInt32 t = TInt32.scalarOf(42)) {
          assertThat(intOf(hooked.runWithoutHooks(SessionRunArgs.builder().fetch(f.v()).feed(f.c(), t).build())))
              .isEqualTo(42);
        }
        assertThat(hook.beforeRun).hasValue(0);
        assertThat(Fixtures.runFed(hooked, f, 7)).isEqualTo(7);
        assertThat(hook.beforeRun).hasValue(1);
      }
    }
  }

  // issue 15 item 2: before, a run without hooks went straight to the raw session, so the
  // coordinator's root cause was never consulted and nothing recovered.
  @Test
  void aRunWithoutHooksFailingOverAReportedAbortIsRecovered() {
    try (Graph g = new Graph()) {
      Placeholder<TInt32> p = Ops.create(g).withName("p").placeholder(TInt32.class);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      FakeHook hook = new FakeHook();
      try (MonitoredSession s = MonitoredSession.builder(creator).hook(hook).build()) {
        hook.lastCoordinator.requestStop(new AbortedException("the ps task went away"));
        // p is not fed: INVALID_ARGUMENT, but the coordinator's ABORTED is the root cause, so the
        // stack is recreated and the run tried again (and fails again, on its own merits).
        assertThatThrownBy(() -> s.runWithoutHooks(SessionRunArgs.fetch(p)))
            .isInstanceOf(InvalidArgumentException.class);
        assertThat(creator.count).hasValue(2);
        assertThat(s.recoveries()).isEqualTo(1);
        assertThat(hook.beforeRun).hasValue(0);
      }
    }
  }

  // issue 15 item 2
  @Test
  void aStepFunctionRunsOverEveryLayerAndIsRetriedWhole() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      FakeHook hook = new FakeHook();
      int[] calls = {0};
      try (MonitoredSession s = MonitoredSession.builder(creator).hook(hook).build()) {
        int v =
            s.runStepFn(
                step -> {
                  calls[0]++;
                  if (calls[0] == 1) {
                    throw new UnavailableException("lost in the middle of a step");
                  }
                  return Fixtures.runFed(new RawSessionLayer(step.session()), f, 5);
                });
        assertThat(v).isEqualTo(5);
        assertThat(calls[0]).isEqualTo(2);
        assertThat(creator.count).hasValue(2);
      }
    }
  }

  // issue 15 item 2: the singular session's stack has the same shape, with a recovery layer that
  // lets everything through.
  @Test
  void theSingularSessionRunsWithoutHooksAndStepFunctionsThroughAPassThroughLayer() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      FakeHook hook = new FakeHook();
      try (SingularMonitoredSession s =
          SingularMonitoredSession.builder(g).sessionCreator(creator).hook(hook).build()) {
        try (TInt32 t = TInt32.scalarOf(3)) {
          assertThat(intOf(s.runWithoutHooks(SessionRunArgs.builder().fetch(f.v()).feed(f.c(), t).build())))
              .isEqualTo(3);
        }
        assertThat(hook.beforeRun).hasValue(0);
        NativeSession[] seen = new NativeSession[1];
        int v =
            s.runStepFn(
                step -> {
                  seen[0] = step.session();
                  try (TInt32 t = TInt32.scalarOf(9)) {
                    return intOf(step.runWithHooks(SessionRunArgs.builder().fetch(f.v()).feed(f.c(), t).build()));
                  }
                });
        assertThat(v).isEqualTo(9);
        assertThat(seen[0]).isSameAs(s.rawSession());
        assertThat(hook.beforeRun).hasValue(1);
        assertThat(s.recoveries()).isZero();
      }
    }
  }

  // issue 15 item 2
  @Test
  void theSingularSessionDoesNotRecover() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      CountingSessionCreator creator = new CountingSessionCreator(g);
      RaiseOnceAtCountN raise = new RaiseOnceAtCountN(1, () -> new AbortedException("aborted by a hook"));
      SingularMonitoredSession s = SingularMonitoredSession.builder(g).sessionCreator(creator).hook(raise).build();
      assertThatThrownBy(() -> s.run(f.v()).close())
          .isInstanceOf(AbortedException.class)
          .hasMessageContaining("aborted by a hook");
      assertThat(creator.count).hasValue(1);
      assertThat(s.recoveries()).isZero();
      s.close();
    }
  }

  // issue 15 item 2: one definition of "recoverable". A policy that adds INTERNAL makes a reported
  // INTERNAL the root cause of a failed run, and the run is recovered.
  @Test
  void theRecoveryPolicyAlsoDecidesTheRootCause() {
    try (Graph g = new Graph()) {
      Placeholder<TInt32> p = Ops.create(g).withName("p").placeholder(TInt32.class);
      RecoveryPolicy withInternal =
          RecoveryPolicy.builder().codes(EnumSet.of(StatusCode.ABORTED, StatusCode.UNAVAILABLE, StatusCode.INTERNAL)).build();
      CountingSessionCreator creator = new CountingSessionCreator(g);
      FakeHook hook = new FakeHook();
      try (MonitoredSession s = MonitoredSession.builder(creator).hook(hook).recoveryPolicy(withInternal).build()) {
        hook.lastCoordinator.requestStop(new RuntimeException("worker thread", new InternalException("crashed")));
        assertThatThrownBy(() -> s.run(SessionRunArgs.fetch(p))).isInstanceOf(InvalidArgumentException.class);
        assertThat(creator.count).hasValue(2);
      }

      CountingSessionCreator tf1Creator = new CountingSessionCreator(g);
      FakeHook tf1Hook = new FakeHook();
      MonitoredSession tf1 = MonitoredSession.builder(tf1Creator).hook(tf1Hook).build();
      tf1Hook.lastCoordinator.requestStop(new InternalException("crashed"));
      assertThatThrownBy(() -> tf1.run(SessionRunArgs.fetch(p))).isInstanceOf(InvalidArgumentException.class);
      assertThat(tf1Creator.count).hasValue(1);
      assertThatThrownBy(tf1::close).isInstanceOf(InternalException.class);
    }
  }

  // issue 15 item 2
  @Test
  void recoverableMeansWhatThePolicySays() {
    RecoveryPolicy tf1 = RecoveryPolicy.tf1();
    assertThat(tf1.codes()).containsExactlyInAnyOrder(StatusCode.ABORTED, StatusCode.UNAVAILABLE);
    assertThat(tf1.recovers(new AbortedException("a"))).isTrue();
    assertThat(tf1.recovers(new InternalException("i"))).isFalse();
    assertThat(tf1.recovers(new RuntimeException(new AbortedException("wrapped")))).isFalse();
    assertThat(tf1.recoverableCause(new RuntimeException(new AbortedException("wrapped"))))
        .get()
        .extracting(Throwable::getMessage)
        .isEqualTo("ABORTED: wrapped");
    // the first status in the chain decides
    assertThat(tf1.recoverableCause(new InternalException("outer", new AbortedException("inner")))).isEmpty();
    assertThat(RecoveryPolicy.none().recovers(new AbortedException("a"))).isFalse();
  }

  // issue 15 item 2: closing a lost stack ignores only what the policy recovers from.
  @Test
  void closingIgnoresOnlyRecoverableErrors() {
    try (Graph g = new Graph()) {
      RecoveryPolicy withInternal = RecoveryPolicy.builder().codes(Set.of(StatusCode.INTERNAL)).build();
      RecoverableSession lenient =
          new RecoverableSession(g, () -> failingToClose(g), withInternal, e -> {}, null,
              Coordinator.Sleeper.system(), System::nanoTime);
      lenient.close();
      assertThat(lenient.isClosed()).isTrue();

      RecoverableSession strict = new RecoverableSession(g, () -> failingToClose(g));
      assertThatThrownBy(strict::close).isInstanceOf(InternalException.class).hasMessageContaining("close failed");

      PassThroughRecovery passThrough = new PassThroughRecovery(() -> failingToClose(g));
      assertThatThrownBy(passThrough::close).isInstanceOf(InternalException.class);
      assertThat(passThrough.isClosed()).isTrue();
    }
  }

  private static SessionLayer failingToClose(Graph g) {
    return new WrappedSession(new RawSessionLayer(NativeSession.open(g))) {
      @Override
      public void close() {
        super.close();
        throw new InternalException("close failed");
      }
    };
  }
}

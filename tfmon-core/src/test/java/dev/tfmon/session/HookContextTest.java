package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.Hooks;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.Fixtures.Stepping;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Constant;
import org.tensorflow.types.TInt64;

/** Issue 15 item 7: one begin with a context, a session hooks cannot close, named hooks. */
class HookContextTest {

  /** Records what each callback was given. */
  private static final class Recorder implements SessionRunHook {
    final List<String> calls = new ArrayList<>();
    Constant<TInt64> addedInBegin;
    boolean graphFinalizedAtBegin = true;
    final List<RunnableSession> sessions = new ArrayList<>();
    final List<Long> stepsRead = new ArrayList<>();

    @Override
    public void begin(BeginContext context) {
      calls.add("begin");
      graphFinalizedAtBegin = GraphFinalization.isFinalized(context.graph());
      addedInBegin = Ops.create(context.graph()).withName("added_in_begin").constant(41L);
    }

    @Override
    public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
      calls.add("afterCreateSession");
      sessions.add(session);
      stepsRead.add(GlobalStep.value(session));
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      calls.add("afterRun");
      sessions.add(context.session());
      try (RunResult r = context.session().run(SessionRunArgs.fetch(addedInBegin))) {
        stepsRead.add(((TInt64) r.get(0)).getLong());
      }
    }

    @Override
    public void end(RunnableSession session) {
      calls.add("end");
      sessions.add(session);
      stepsRead.add(GlobalStep.value(session));
    }
  }

  @Test
  void aHookGetsTheGraphAtBeginAndASessionItCanRunButNotClose() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      Recorder hook = new Recorder();
      try (MonitoredSession s = MonitoredSession.builder(g).hook(hook).build()) {
        s.run(st.doStep().op());
        s.run(st.doStep().op());
      }

      assertThat(hook.calls).containsExactly("begin", "afterCreateSession", "afterRun", "afterRun", "end");
      assertThat(hook.graphFinalizedAtBegin).isFalse();
      // afterCreateSession sees step 0, each afterRun runs the op the hook added in begin, end sees 2.
      assertThat(hook.stepsRead).containsExactly(0L, 41L, 41L, 2L);
      RunnableSession lent = hook.sessions.get(0);
      assertThat(hook.sessions).allSatisfy(x -> assertThat(x).isSameAs(lent));
      assertThat(lent).isNotInstanceOf(NativeSession.class).isNotInstanceOf(AutoCloseable.class);
      assertThat(lent.graph()).isSameAs(g);
      assertThat(lent.target()).isEmpty();
      // The session is gone after close: the lent view says so instead of running.
      assertThatThrownBy(() -> GlobalStep.value(lent)).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void lambdaHooksAreNamedAfterTheLineThatMadeThem() {
    SessionRunHook derived = Hooks.afterRun((ctx, values) -> {});
    int line = new Throwable().getStackTrace()[0].getLineNumber() - 1;
    SessionRunHook named = Hooks.fetching("loss printer", SessionRunArgs.builder().build(), (c, v) -> {});
    SessionRunHook anonymous = new SessionRunHook() {};

    assertThat(derived.name()).isEqualTo("afterRun@HookContextTest.java:" + line);
    assertThat(derived).hasToString(derived.name());
    assertThat(named.name()).isEqualTo("loss printer");
    assertThat(StopAtStepHook.numSteps(3).name()).isEqualTo("StopAtStepHook");
    assertThat(anonymous.name()).isEqualTo("HookContextTest$1");
    assertThat(Hooks.begin(ctx -> {}).name()).startsWith("begin@HookContextTest.java:");
    assertThat(Hooks.afterCreateSession((sess, coord) -> {}).name()).startsWith("afterCreateSession@");
    assertThat(Hooks.beforeRun(ctx -> null).name()).startsWith("beforeRun@");
    assertThat(Hooks.end(sess -> {}).name()).startsWith("end@");
    assertThatThrownBy(() -> Hooks.end(" ", sess -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a non-blank hook name, but got ' '");
  }

  @Test
  void theHookCostReportShowsHookNames() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      SessionRunHook counter = Hooks.afterRun("step counter", (ctx, values) -> {});
      SessionRunHook unnamed = Hooks.afterRun((ctx, values) -> {});
      try (MonitoredSession s = MonitoredSession.builder(g).hook(counter).hook(unnamed).build()) {
        s.run(st.doStep().op());
        assertThat(s.hookCosts().hooks())
            .extracting(HookCosts.HookCost::name)
            .containsExactly("step counter", unnamed.name());
        assertThat(unnamed.name()).startsWith("afterRun@HookContextTest.java:");
      }
    }
  }
}

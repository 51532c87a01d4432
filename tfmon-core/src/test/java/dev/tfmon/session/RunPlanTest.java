package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.Fixtures.FakeHook;
import dev.tfmon.session.HookedSessionTest.Recording;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Constant;
import org.tensorflow.op.core.NoOp;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TInt32;

/** The merged run of a caller and its hooks, alone and as HookedSession keeps it. */
class RunPlanTest {

  // issue 15 item 3
  @Test
  void mergesFetchesOnceEachByOutputNotByObjectOrName() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a").constant(1);
      Constant<TInt32> b = tf.withName("b").constant(2);
      Constant<TInt32> c = tf.withName("c").constant(3);
      // The same tensor through another Output object (looked up by name), as a user's code has it.
      Output<?> aByName = GraphNames.output(g, "a:0");
      assertThat(aByName).isNotSameAs(a.asOutput());
      SessionRunArgs caller = SessionRunArgs.fetch(a, b);
      SessionRunArgs hook0 = SessionRunArgs.builder().fetch(c).fetch(aByName).build();
      SessionRunArgs hook2 = SessionRunArgs.fetch(b);

      RunPlan plan = RunPlan.of(caller, new SessionRunArgs[] {hook0, null, hook2});

      assertThat(plan.merged().fetches()).containsExactly(a.asOutput(), b.asOutput(), c.asOutput());
      assertThat(plan.size()).isEqualTo(3);
      assertThat(plan.callerSlots()).containsExactly(0, 1);
      assertThat(plan.hookSlots(0)).containsExactly(2, 0);
      assertThat(plan.hookSlots(1)).isEmpty();
      assertThat(plan.hookSlots(2)).containsExactly(1);
      assertThat(plan.merged().options()).isNull();
      assertThat(plan.options()).isEqualTo(RunOptions.getDefaultInstance());
      assertThat(plan.merged().wantMetadata()).isFalse();
    }
  }

  // issue 15 item 3
  @Test
  void mergesTargetsFeedsOptionsAndMetadataRequests() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var p = tf.withName("p").placeholderWithDefault(tf.constant(0), Shape.scalar());
      var q = tf.withName("q").placeholderWithDefault(tf.constant(0), Shape.scalar());
      NoOp t1 = tf.withName("t1").noOp();
      NoOp t2 = tf.withName("t2").noOp();
      try (TInt32 one = TInt32.scalarOf(1);
          TInt32 two = TInt32.scalarOf(2)) {
        SessionRunArgs caller =
            SessionRunArgs.builder()
                .target(t1)
                .feed(p, one)
                .options(RunOptions.newBuilder().setTimeoutInMs(500).build())
                .build();
        SessionRunArgs hook =
            SessionRunArgs.builder()
                .target(GraphNames.operation(g, "t1"))
                .target(t2)
                .feed(q, two)
                .options(
                    RunOptions.newBuilder()
                        .setTimeoutInMs(100)
                        .setTraceLevel(RunOptions.TraceLevel.SOFTWARE_TRACE)
                        .build())
                .build();

        RunPlan plan = RunPlan.of(caller, new SessionRunArgs[] {hook});

        assertThat(plan.merged().targets()).containsExactly(t1.op(), t2.op());
        assertThat(plan.merged().feeds()).containsEntry(p.asOutput(), one).containsEntry(q.asOutput(), two);
        assertThat(plan.merged().options().getTimeoutInMs()).isEqualTo(500);
        assertThat(plan.merged().options().getTraceLevel())
            .isEqualTo(RunOptions.TraceLevel.SOFTWARE_TRACE);
        // tracing wants the metadata even though nobody asked for it
        assertThat(plan.merged().wantMetadata()).isTrue();
      }
    }
  }

  // issue 15 item 3
  @Test
  void aTensorFedTwiceIsNamedEvenWhenTheOutputsAreDifferentObjects() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var p = tf.withName("p").placeholderWithDefault(tf.constant(0), Shape.scalar());
      try (TInt32 one = TInt32.scalarOf(1);
          TInt32 two = TInt32.scalarOf(2)) {
        SessionRunArgs byOperand = SessionRunArgs.builder().feed(p, one).build();
        SessionRunArgs byName =
            SessionRunArgs.builder().feed(GraphNames.output(g, "p"), two).build();

        assertThatThrownBy(
                () -> RunPlan.of(SessionRunArgs.builder().build(), new SessionRunArgs[] {byOperand, byName}))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("Same tensor is fed by two hooks: [p:0]; let one hook feed each tensor");
        assertThatThrownBy(() -> RunPlan.of(byName, new SessionRunArgs[] {byOperand}))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("Same tensor is fed by a hook and by the caller: [p:0]; drop one of the two feeds");
      }
    }
  }

  // issue 15 item 3
  @Test
  void handsOutTheRealRunsTensorsAndFreesOnlyTheHooksOwn() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a").constant(10);
      Constant<TInt32> b = tf.withName("b").constant(20);
      SessionRunArgs caller = SessionRunArgs.fetch(a);
      SessionRunArgs hook = SessionRunArgs.fetch(b, a);
      RunPlan plan = RunPlan.of(caller, new SessionRunArgs[] {hook});
      try (NativeSession session = NativeSession.open(g)) {
        RunResult mine;
        try (RunResult all = new RawSessionLayer(session).run(plan.merged())) {
          SessionRunValues values = plan.valuesFor(0, all, RunMetadata.getDefaultInstance());
          assertThat(values.getInt(b)).isEqualTo(20);
          assertThat(values.getInt(a)).isEqualTo(10);
          assertThat(values.results()).hasSize(2);
          mine = plan.callerResult(all, RunMetadata.getDefaultInstance());
          // the caller's tensor left `all`: only b is still there, and is freed with it
          assertThatThrownBy(() -> all.get(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("taken");
          assertThat(((TInt32) all.get(1)).getInt()).isEqualTo(20);
        }
        try (mine) {
          assertThat(mine.size()).isEqualTo(1);
          assertThat(mine.getInt(a)).isEqualTo(10);
          // metadata only goes to a caller that asked for it
          assertThat(mine.metadata()).isEmpty();
        }
      }
    }
  }

  // issue 15 item 3
  @Test
  void theCacheReturnsTheSamePlanForTheSameRequestObjectsOnly() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a").constant(1);
      Constant<TInt32> b = tf.withName("b").constant(2);
      SessionRunArgs caller = SessionRunArgs.fetch(a);
      SessionRunArgs hookOnce = SessionRunArgs.fetch(b);
      RunPlan.Cache cache = new RunPlan.Cache();

      RunPlan first = cache.planFor(caller, new SessionRunArgs[] {hookOnce, null});
      assertThat(cache.planFor(caller, new SessionRunArgs[] {hookOnce, null})).isSameAs(first);
      // equal content in a new object is another request: a new plan
      RunPlan second = cache.planFor(caller, new SessionRunArgs[] {SessionRunArgs.fetch(b), null});
      assertThat(second).isNotSameAs(first);
      assertThat(second.merged().fetches()).isEqualTo(first.merged().fetches());
      RunPlan third = cache.planFor(caller, new SessionRunArgs[] {null, hookOnce});
      assertThat(third).isNotSameAs(first);
      // the first is still kept
      assertThat(cache.planFor(caller, new SessionRunArgs[] {hookOnce, null})).isSameAs(first);

      for (int i = 0; i < RunPlan.Cache.CAPACITY + 2; i++) {
        cache.planFor(SessionRunArgs.fetch(a), new SessionRunArgs[] {hookOnce, null});
      }
      assertThat(cache.size()).isEqualTo(RunPlan.Cache.CAPACITY);
      assertThat(cache.planFor(caller, new SessionRunArgs[] {hookOnce, null})).isNotSameAs(first);
    }
  }

  // issue 15 item 3, issue 16: constant requests merge once; the layer beneath gets the same run.
  @Test
  void hookedSessionReusesTheMergedRunWhileTheRequestsAreTheSame() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a").constant(7);
      Constant<TInt32> b = tf.withName("b").constant(8);
      FakeHook hook = new FakeHook();
      hook.request = SessionRunArgs.fetch(b);
      try (NativeSession raw = NativeSession.open(g)) {
        Recording rec = new Recording(raw);
        HookedSession hooked = new HookedSession(rec, List.of(hook));
        SessionRunArgs step = SessionRunArgs.fetch(a);
        for (int i = 0; i < 3; i++) {
          try (RunResult r = hooked.run(step)) {
            assertThat(r.getInt(a)).isEqualTo(7);
          }
          assertThat((int) hook.lastResults.get(0)).isEqualTo(8);
        }
        assertThat(rec.received).hasSize(3);
        assertThat(rec.received.get(1)).isSameAs(rec.received.get(0));
        assertThat(rec.received.get(2)).isSameAs(rec.received.get(0));

        // a hook that changes its request gets a new merged run, and its own values
        hook.request = SessionRunArgs.fetch(a);
        try (RunResult r = hooked.run(step)) {
          assertThat(r.getInt(a)).isEqualTo(7);
        }
        assertThat(rec.received.get(3)).isNotSameAs(rec.received.get(0));
        assertThat(rec.received.get(3).fetches()).containsExactly(a.asOutput());
        assertThat((int) hook.lastResults.get(0)).isEqualTo(7);
      }
    }
  }
}

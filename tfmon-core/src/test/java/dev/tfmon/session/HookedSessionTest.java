package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.Fixtures.FakeHook;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Constant;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TInt32;

class HookedSessionTest {

  /** Remembers what the layer beneath a HookedSession was asked to run. */
  static final class Recording extends WrappedSession {
    final List<SessionRunArgs> received = new ArrayList<>();

    Recording(NativeSession raw) {
      super(new RawSessionLayer(raw));
    }

    @Override
    public RunResult run(SessionRunArgs args) {
      received.add(args);
      return super.run(args);
    }
  }

  private static int[] vector(RunResult r) {
    try (r) {
      return StdArrays.array1dCopyOf((TInt32) r.get(0));
    }
  }

  // Scenario MST-051.
  @Test
  void runPassesEveryArgumentUnchanged_MST051() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a_tensor").constant(new int[] {0});
      var p = tf.withName("p").placeholderWithDefault(tf.constant(1), org.tensorflow.ndarray.Shape.scalar());
      RunOptions options = RunOptions.newBuilder().setTimeoutInMs(12345).build();
      try (NativeSession raw = NativeSession.open(g);
          TInt32 fed = TInt32.scalarOf(3)) {
        Recording rec = new Recording(raw);
        HookedSession hooked = new HookedSession(rec, List.of());
        SessionRunArgs args =
            SessionRunArgs.builder().fetch(a).feed(p, fed).options(options).withMetadata().build();
        try (RunResult r = hooked.run(args)) {
          assertThat(StdArrays.array1dCopyOf((TInt32) r.get(0))).containsExactly(0);
          assertThat(r.metadata()).isPresent();
        }
        SessionRunArgs got = rec.received.get(0);
        assertThat(got.feeds()).containsEntry(p.asOutput(), fed);
        assertThat(got.feeds().get(p.asOutput())).isSameAs(fed);
        assertThat(got.options()).isEqualTo(options);
        assertThat(got.wantMetadata()).isTrue();
      }
    }
  }

  // Scenario MST-052.
  @Test
  void callsOnlyBeforeAndAfterRunWithEmptyValues_MST052() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a_tensor").constant(new int[] {0});
      FakeHook h1 = new FakeHook();
      FakeHook h2 = new FakeHook();
      try (NativeSession raw = NativeSession.open(g)) {
        HookedSession hooked = new HookedSession(new RawSessionLayer(raw), List.of(h1, h2));
        assertThat(vector(hooked.run(SessionRunArgs.fetch(a)))).containsExactly(0);
        for (FakeHook h : List.of(h1, h2)) {
          assertThat(h.lastValues.isEmpty()).isTrue();
          assertThat(h.lastValues.options()).isEqualTo(RunOptions.getDefaultInstance());
          assertThat(h.lastValues.runMetadata()).isEqualTo(RunMetadata.getDefaultInstance());
          assertThat(h.lastContext.originalArgs().fetches()).containsExactly(a.asOutput());
          assertThat(h.lastContext.originalArgs().feeds()).isEmpty();
          assertThat(h.lastContext.session()).isSameAs(raw.runOnly());
          assertThat(h.begin).hasValue(0);
          assertThat(h.afterCreate).hasValue(0);
          assertThat(h.beforeRun).hasValue(1);
          assertThat(h.afterRun).hasValue(1);
          assertThat(h.end).hasValue(0);
        }
      }
    }
  }

  // Scenario MST-053.
  @Test
  void shouldStopOnceAHookRequestsIt_MST053() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      tf.withName("a_tensor").constant(new int[] {0});
      FakeHook h1 = new FakeHook();
      FakeHook h2 = new FakeHook();
      try (NativeSession raw = NativeSession.open(g)) {
        HookedSession hooked = new HookedSession(new RawSessionLayer(raw), List.of(h1, h2));
        var byName = dev.tfmon.runtime.GraphNames.output(g, "a_tensor");
        hooked.run(SessionRunArgs.builder().fetch(byName).build()).close();
        assertThat(hooked.shouldStop()).isFalse();
        h1.shouldRequestStop = true;
        hooked.run(SessionRunArgs.builder().fetch(byName).build()).close();
        assertThat(hooked.shouldStop()).isTrue();
        assertThatThrownBy(() -> hooked.run(SessionRunArgs.builder().fetch(byName).build()))
            .isInstanceOf(IllegalStateException.class)
            // issue 15 item 9: our own words (TF's message is carried over no more)
            .hasMessage("cannot run: this session was asked to stop (by a hook); check shouldStop() before each run");
      }
    }
  }

  // Scenario MST-054.
  @Test
  void hooksGetTheirOwnFetchesAndTheCallerOnlyItsOwn_MST054() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a_tensor").constant(new int[] {0});
      Constant<TInt32> another = tf.withName("another_tensor").constant(new int[] {5});
      Constant<TInt32> third = tf.withName("third_tensor").constant(new int[] {10});
      FakeHook h1 = new FakeHook();
      FakeHook h2 = new FakeHook();
      h1.request = SessionRunArgs.fetch(another);
      h2.request = SessionRunArgs.fetch(third);
      try (NativeSession raw = NativeSession.open(g)) {
        HookedSession hooked = new HookedSession(new RawSessionLayer(raw), List.of(h1, h2));
        try (RunResult r = hooked.run(SessionRunArgs.fetch(a))) {
          assertThat(r.size()).isEqualTo(1);
          assertThat(StdArrays.array1dCopyOf((TInt32) r.get(0))).containsExactly(0);
        }
        assertThat((int[]) h1.lastResults.get(0)).containsExactly(5);
        assertThat((int[]) h2.lastResults.get(0)).containsExactly(10);
      }
    }
  }

  @Test
  void aFetchSharedByCallerAndHookIsOneTensorOwnedByTheCaller() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a_tensor").constant(new int[] {4});
      FakeHook h = new FakeHook();
      h.request = SessionRunArgs.fetch(a, a);
      try (NativeSession raw = NativeSession.open(g)) {
        HookedSession hooked = new HookedSession(new RawSessionLayer(raw), List.of(h));
        try (RunResult r = hooked.run(SessionRunArgs.fetch(a, a))) {
          assertThat(r.size()).isEqualTo(2);
          // still readable after every afterRun returned: the framework did not free it
          assertThat(StdArrays.array1dCopyOf((TInt32) r.get(1))).containsExactly(4);
        }
        assertThat(h.lastResults).hasSize(2);
      }
    }
  }

  // Scenario MST-055.
  @Test
  void onlyHooksFeed_MST055() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var a = tf.withName("a").placeholderWithDefault(tf.constant(new int[] {0}), org.tensorflow.ndarray.Shape.of(1));
      var b = tf.withName("b").placeholderWithDefault(tf.constant(new int[] {0}), org.tensorflow.ndarray.Shape.of(1));
      var add = tf.withName("add").math.add(a, b);
      FakeHook h1 = new FakeHook();
      FakeHook h2 = new FakeHook();
      try (NativeSession raw = NativeSession.open(g);
          TInt32 five = TInt32.vectorOf(5);
          TInt32 ten = TInt32.vectorOf(10)) {
        h1.request = SessionRunArgs.builder().feed(a, five).build();
        h2.request = SessionRunArgs.builder().feed(b, ten).build();
        HookedSession hooked = new HookedSession(new RawSessionLayer(raw), List.of(h1, h2));
        assertThat(vector(hooked.run(SessionRunArgs.fetch(add)))).containsExactly(15);
      }
    }
  }

  // Scenario MST-057.
  @Test
  void twoHooksFeedingOneTensorIsAnError_MST057() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var a = tf.withName("a").placeholderWithDefault(tf.constant(new int[] {0}), org.tensorflow.ndarray.Shape.of(1));
      var b = tf.withName("b").placeholderWithDefault(tf.constant(new int[] {0}), org.tensorflow.ndarray.Shape.of(1));
      var add = tf.math.add(a, b);
      FakeHook h1 = new FakeHook();
      FakeHook h2 = new FakeHook();
      try (NativeSession raw = NativeSession.open(g);
          TInt32 five = TInt32.vectorOf(5);
          TInt32 ten = TInt32.vectorOf(10)) {
        h1.request = SessionRunArgs.builder().feed(a, five).build();
        h2.request = SessionRunArgs.builder().feed(a, ten).build();
        HookedSession hooked = new HookedSession(new RawSessionLayer(raw), List.of(h1, h2));
        // issue 15 item 9: the message in our own words (TF's is carried over no more)
        assertThatThrownBy(() -> hooked.run(SessionRunArgs.fetch(add)))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("Same tensor is fed by two hooks: [a:0]; let one hook feed each tensor");

        h2.request = null;
        assertThatThrownBy(() -> hooked.run(SessionRunArgs.builder().fetch(add).feed(a, ten).build()))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("Same tensor is fed by a hook and by the caller: [a:0]; drop one of the two feeds");
      }
    }
  }

  @Test
  void hookCostsAreMeasuredPerHook() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.constant(1);
      FakeHook cheap = new FakeHook();
      FakeHook slow =
          new FakeHook() {
            @Override
            public SessionRunArgs beforeRun(dev.tfmon.hook.SessionRunContext context) {
              long until = System.nanoTime() + 2_000_000;
              while (System.nanoTime() < until) {
                Thread.onSpinWait();
              }
              return super.beforeRun(context);
            }
          };
      try (NativeSession raw = NativeSession.open(g)) {
        HookedSession hooked = new HookedSession(new RawSessionLayer(raw), List.of(cheap, slow));
        for (int i = 0; i < 5; i++) {
          hooked.run(SessionRunArgs.fetch(a)).close();
        }
        HookCosts.Report report = hooked.hookCosts();
        assertThat(report.runs()).isEqualTo(5);
        assertThat(report.hooks()).hasSize(2);
        // The slow hook spun 2 ms in each of 5 runs: at least 10 ms, whatever else the machine does.
        HookCosts.HookCost slowCost = report.hooks().get(1);
        assertThat(slowCost.name()).endsWith("HookedSessionTest$1");
        assertThat(slowCost.beforeRun().toNanos()).isGreaterThanOrEqualTo(10_000_000L);
        assertThat(report.total()).isGreaterThanOrEqualTo(slowCost.beforeRun().plus(slowCost.afterRun()));
        assertThat(slowCost.share()).isBetween(0.0, 1.0);
        assertThat(report.hooks().get(0).name()).isEqualTo("FakeHook");
      }
    }
  }

  @Test
  void theReportNamesHooksAboveAShareOfStepTime() {
    HookCosts.Report report =
        new HookCosts.Report(
            5,
            java.time.Duration.ofMillis(100),
            List.of(
                new HookCosts.HookCost("Cheap", java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(1), 0.02),
                new HookCosts.HookCost("Slow", java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(10), 0.6)));
    assertThat(report.above(0.5)).extracting(HookCosts.HookCost::name).containsExactly("Slow");
    assertThat(report.above(0.01)).extracting(HookCosts.HookCost::name).containsExactly("Cheap", "Slow");
    assertThat(report.above(0.9)).isEmpty();
  }
}

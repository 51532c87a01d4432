package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.Hooks;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.Fixtures.Stepping;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Constant;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Issue 17: typed reads in hooks' values and a run for its effect alone. */
class TypedValuesAndRunTargetsTest {

  @Test
  void aHookReadsItsValuesByOperandWithoutCasts() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      Output<TInt64> step = GlobalStep.readTensor(g);
      Constant<TFloat32> half = Ops.create(g).withName("half").constant(0.5f);
      Constant<TFloat32> other = Ops.create(g).withName("other").constant(1f);
      List<String> seen = new ArrayList<>();
      List<String> errors = new ArrayList<>();
      SessionRunHook hook =
          Hooks.fetching(
              "reader",
              SessionRunArgs.fetch(half, step),
              (ctx, values) -> {
                seen.add(values.getLong(step) + "/" + values.getFloat(half) + "/" + values.getDouble(half));
                TFloat32 typed = values.get(half);
                seen.add("typed " + typed.getFloat());
                try {
                  values.getFloat(other);
                } catch (IllegalArgumentException e) {
                  errors.add(e.getMessage());
                }
                try {
                  values.getInt(step);
                } catch (IllegalArgumentException e) {
                  errors.add(e.getMessage());
                }
              });
      try (MonitoredSession s = MonitoredSession.builder(g).hook(hook).build()) {
        s.run(st.doStep().op());
        try (RunResult r = s.run(other)) {
          assertThat(r.getFloat(other)).isEqualTo(1f);
        }
      }
      // The step is read before the first do_step or after it; after it for the second run.
      assertThat(seen).hasSize(4).contains("typed 0.5").endsWith("1/0.5/0.5", "typed 0.5");
      assertThat(seen.get(0)).isIn("0/0.5/0.5", "1/0.5/0.5");
      assertThat(errors)
          .containsOnly(
              "this hook did not fetch 'other:0'; it fetched [half:0, global_step/value_copy:0]",
              "expected 'global_step/value_copy:0' to be an int32 scalar, but got a tensor of dtype int64 and shape []");
    }
  }

  @Test
  void runTargetsRunsAFedStepWithHooksAndNothingToClose() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Variable<TFloat32> v = tf.withName("v").variable(tf.constant(1f));
      Operand<TFloat32> add = tf.withName("add_x").assignAdd(v, x);
      int[] hookRuns = {0};
      try (MonitoredSession s =
              MonitoredSession.builder(g).hook(Hooks.afterRun((c, values) -> hookRuns[0]++)).build();
          TFloat32 two = TFloat32.scalarOf(2f)) {
        s.runTargets(SessionRunArgs.builder().feed(x, two).target(add.op()).build());
        s.runner().feed(x, two).addTarget(add.op()).runTargets();
        s.runner().feed(x, two).addTarget(add.op()).withoutHooks().runTargets();
        try (RunResult r = s.run(v)) {
          assertThat(r.getFloat(v)).isEqualTo(7f);
        }
        assertThat(hookRuns[0]).isEqualTo(3); // two runTargets with hooks, one read

        assertThatThrownBy(() -> s.runTargets(SessionRunArgs.fetch(v)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("runTargets returns nothing, but the args fetch [v:0]: use run(args) and close its result");
        assertThatThrownBy(() -> s.runner().fetch(v).runTargets())
            .hasMessage("runTargets returns nothing, but the args fetch [v:0]: use run(args) and close its result");
        assertThatThrownBy(() -> s.runTargets(SessionRunArgs.builder().target(add.op()).withMetadata().build()))
            .hasMessageContaining("ask for the run's metadata");
      }
    }
  }
}

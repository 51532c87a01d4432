package dev.tfmon.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Tensor;
import org.tensorflow.TfmonBridge;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Constant;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Issue 16: a run's tensors are wrapped as TF Java tensors only when asked for; scalars are read
 * without wrapping; views and moved-out results share one owner per native tensor.
 */
class LazyRunResultTest {

  @Test
  void scalarsReadWithoutWrappingAgreeWithTheWrappedTensors() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> v = tf.withName("v").variable(tf.constant(2.5f));
      Constant<TInt64> step = tf.withName("step").constant(1L << 35);
      Constant<TInt32> small = tf.withName("small").constant(-7);
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        try (RunResult r = s.runner().fetch(v).fetch(step).fetch(small).run()) {
          // read first as scalars (no tensor object made), then as tensors
          assertThat(r.getFloat(v)).isEqualTo(2.5f);
          assertThat(r.getDouble(v)).isEqualTo(2.5);
          assertThat(r.getLong(step)).isEqualTo(1L << 35);
          assertThat(r.getLong(small)).isEqualTo(-7L);
          assertThat(r.getInt(small)).isEqualTo(-7);
          assertThat(r.get(v).getFloat()).isEqualTo(2.5f);
          assertThat(r.get(step).getLong()).isEqualTo(1L << 35);
          // the wrapped tensor is the same object every time, and scalar reads still work
          assertThat(r.get(v)).isSameAs(r.get(v));
          assertThat(r.getFloat(v)).isEqualTo(2.5f);
          assertThat(r.tensors()).hasSize(3);
        }
      }
    }
  }

  @Test
  void aWrongKindIsStillNamedWhenNothingWasWrappedYet() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt64> i64 = tf.withName("i64").constant(3L);
      Constant<TFloat32> vector = tf.withName("losses").constant(new float[] {1f, 2f});
      try (NativeSession s = NativeSession.open(g);
          RunResult r = s.runner().fetch(i64).fetch(vector).run()) {
        assertThatThrownBy(() -> r.getFloat(i64))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("expected 'i64:0' to be a float32 scalar, but got a tensor of dtype int64 and shape []");
        assertThatThrownBy(() -> r.getFloat(vector))
            .hasMessage("expected 'losses:0' to be a float32 scalar, but got a tensor of dtype float32 and shape [2]");
      }
    }
  }

  @Test
  void viewsReadTheResultsTensorsAndMovingOutTransfersOwnership() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a").constant(new int[] {1, 2});
      Constant<TInt64> b = tf.withName("b").constant(5L);
      try (NativeSession s = NativeSession.open(g)) {
        RunResult moved;
        Tensor taken;
        try (RunResult all = s.runner().fetch(a).fetch(b).run()) {
          RunResult.View view = all.view(new int[] {1, 0});
          assertThat(view).hasSize(2);
          assertThat(view.getLong(0, () -> "b")).isEqualTo(5L);
          assertThat(StdArrays.array1dCopyOf((TInt32) view.get(1))).containsExactly(1, 2);
          assertThatThrownBy(() -> view.getInt(1, () -> "a:0"))
              .hasMessage("expected 'a:0' to be an int32 scalar, but got a tensor of dtype int32 and shape [2]");

          // a wrapped slot (a) and an unwrapped one (b), each asked for twice
          moved = all.moveOut(new int[] {0, 1, 1, 0}, List.of(a, b, b, a), null);
          assertThatThrownBy(() -> all.get(1)).hasMessageContaining("was taken");
        }
        try (moved) {
          assertThat(moved.getLong(b)).isEqualTo(5L);
          assertThat(moved.get(1)).isSameAs(moved.get(2));
          assertThat(moved.get(0)).isSameAs(moved.get(3));
          assertThat(StdArrays.array1dCopyOf((TInt32) moved.get(a))).containsExactly(1, 2);
          assertThat(moved.metadata()).isEmpty();
          taken = moved.take(2);
          // taking a repeated fetch takes it from every slot: closing the result leaves it alone
          assertThatThrownBy(() -> moved.get(1)).hasMessageContaining("was taken");
        }
        Tensor bOnly = taken;
        try (Tensor kept = bOnly) {
          assertThat(((TInt64) kept).getLong()).isEqualTo(5L);
          assertThat(TfmonBridge.tensorHandle(kept).isNull()).isFalse();
        }
        assertThatThrownBy(() -> TfmonBridge.tensorHandle(bOnly)).isInstanceOf(IllegalStateException.class);
      }
    }
  }

  @Test
  void closingAResultWithUnwrappedTensorsTwiceIsSafe() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt64> b = tf.withName("b").constant(5L);
      try (NativeSession s = NativeSession.open(g)) {
        for (int i = 0; i < 1000; i++) {
          RunResult r = s.runner().fetch(b).fetch(b).run();
          r.close();
          r.close();
        }
        RunResult r = s.runner().fetch(b).run();
        r.close();
        assertThatThrownBy(() -> r.getLong(b))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("this run result is closed and its tensors were freed");
      }
    }
  }
}

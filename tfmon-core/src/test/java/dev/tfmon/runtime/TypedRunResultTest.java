package dev.tfmon.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Constant;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Unique;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/** Issue 17: values read from a run result by the operand that was fetched, without casts. */
class TypedRunResultTest {

  @Test
  void scalarsOfEachKindAreReadByOperand() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TFloat32> f32 = tf.withName("f32").constant(1.5f);
      Constant<TFloat64> f64 = tf.withName("f64").constant(2.25);
      Constant<TInt32> i32 = tf.withName("i32").constant(7);
      Constant<TInt64> i64 = tf.withName("i64").constant(1L << 40);
      try (NativeSession s = NativeSession.open(g);
          RunResult r = s.runner().fetch(f32).fetch(f64).fetch(i32).fetch(i64).run()) {
        assertThat(r.getFloat(f32)).isEqualTo(1.5f);
        assertThat(r.getDouble(f64)).isEqualTo(2.25);
        assertThat(r.getDouble(f32)).isEqualTo(1.5); // float32 widens to double
        assertThat(r.getInt(i32)).isEqualTo(7);
        assertThat(r.getLong(i64)).isEqualTo(1L << 40);
        assertThat(r.getLong(i32)).isEqualTo(7L); // int32 widens to long (an int32 global step)
        TInt64 typed = r.get(i64); // no cast
        assertThat(typed.getLong()).isEqualTo(1L << 40);
      }
    }
  }

  @Test
  void aValueOfTheWrongKindOrShapeIsAnErrorNamingTensorDtypeAndShape() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TFloat64> f64 = tf.withName("f64").constant(2.25);
      Constant<TInt64> i64 = tf.withName("i64").constant(3L);
      Constant<TFloat32> vector = tf.withName("losses").constant(new float[] {1f, 2f});
      Constant<TString> text = tf.withName("text").constant("x");
      try (NativeSession s = NativeSession.open(g);
          RunResult r = s.runner().fetch(f64).fetch(i64).fetch(vector).fetch(text).run()) {
        assertThatThrownBy(() -> r.getFloat(f64))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("expected 'f64:0' to be a float32 scalar, but got a tensor of dtype float64 and shape []");
        assertThatThrownBy(() -> r.getInt(i64))
            .hasMessage("expected 'i64:0' to be an int32 scalar, but got a tensor of dtype int64 and shape []");
        assertThatThrownBy(() -> r.getFloat(vector))
            .hasMessage("expected 'losses:0' to be a float32 scalar, but got a tensor of dtype float32 and shape [2]");
        assertThatThrownBy(() -> r.getLong(text))
            .hasMessage("expected 'text:0' to be an int64 or int32 scalar, but got a tensor of dtype string and shape []");
        assertThatThrownBy(() -> r.getDouble(i64))
            .hasMessage("expected 'i64:0' to be a float64 or float32 scalar, but got a tensor of dtype int64 and shape []");
      }
    }
  }

  @Test
  void anOperandThatWasNotFetchedIsNamedWithTheFetches() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Constant<TInt32> a = tf.withName("a").constant(1);
      Constant<TInt32> b = tf.withName("b").constant(2);
      try (NativeSession s = NativeSession.open(g);
          RunResult r = s.runner().fetch(a).run()) {
        assertThatThrownBy(() -> r.getInt(b))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("'b:0' was not fetched; the fetches were [a:0]");
        assertThatThrownBy(() -> r.get(b)).hasMessage("'b:0' was not fetched; the fetches were [a:0]");
      }
    }
  }

  @Test
  void outputsOfOneOperationAreToldApartByIndex() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Unique<TInt32, TInt32> u =
          tf.withName("u").unique(tf.constant(new int[] {5, 5, 9}), tf.constant(new int[] {0}));
      try (NativeSession s = NativeSession.open(g);
          RunResult r = s.runner().fetch(u.idx()).fetch(u.y()).run()) {
        TInt32 idx = r.get(u.idx());
        TInt32 y = r.get(u.y());
        assertThat(new int[] {idx.getInt(0), idx.getInt(1), idx.getInt(2)}).containsExactly(0, 0, 1);
        assertThat(new int[] {y.getInt(0), y.getInt(1)}).containsExactly(5, 9);
      }
    }
  }

  @Test
  void runTargetsRunsFeedsAndTargetsWithNothingToClose() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Variable<TFloat32> v = tf.withName("v").variable(tf.constant(1f));
      Operand<TFloat32> add = tf.withName("add_x").assignAdd(v, x);
      try (NativeSession s = NativeSession.open(g);
          TFloat32 two = TFloat32.scalarOf(2f)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).runTargets();
        s.runner().feed(x, two).addTarget(add.op()).runTargets();
        try (RunResult r = s.runner().fetch(v).run()) {
          assertThat(r.getFloat(v)).isEqualTo(3f);
        }
        assertThatThrownBy(() -> s.runner().fetch(v).runTargets())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("runTargets returns nothing, but this run fetches [v:0]: use run() and close its result");
        assertThatThrownBy(() -> s.runner().addTarget(add.op()).withMetadata().runTargets())
            .hasMessageContaining("asks for the run's metadata");
      }
    }
  }

  @Test
  void numberOfReadsAnyRealOrBooleanScalarForDisplay() {
    try (TBool yes = TBool.scalarOf(true);
        TInt64 big = TInt64.scalarOf(12L);
        TFloat32 f = TFloat32.scalarOf(0.5f);
        TString s = TString.scalarOf("no")) {
      assertThat(Scalars.numberOf(yes, () -> "flag")).isEqualTo(1.0);
      assertThat(Scalars.numberOf(big, () -> "count")).isEqualTo(12.0);
      assertThat(Scalars.numberOf(f, () -> "rate")).isEqualTo(0.5);
      assertThatThrownBy(() -> Scalars.numberOf(s, () -> "label"))
          .hasMessage(
              "expected 'label' to be a float, double, int, long or bool scalar, but got a tensor of dtype string and shape []");
      assertThat(Scalars.longOf(big, () -> "global_step")).isEqualTo(12L);
    }
  }
}

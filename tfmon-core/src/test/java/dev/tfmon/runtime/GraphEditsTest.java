package dev.tfmon.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Reading op definitions and rewiring an input, on the C API. */
// issue 12
class GraphEditsTest {

  @Test
  void inputIndexCountsListInputsBeforeTheNamedOne() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      GraphOperation concat =
          (GraphOperation) tf.concat(java.util.List.of(tf.constant(new float[] {1}), tf.constant(new float[] {2}),
              tf.constant(new float[] {3})), tf.constant(0)).op();
      assertThat(GraphEdits.opDef(g, "ConcatV2").getInputArg(0).getName()).isEqualTo("values");
      assertThat(GraphEdits.inputIndex(concat, "axis")).hasValue(3);
      assertThat(GraphEdits.inputIndex(concat, "values")).hasValue(0);
      assertThat(GraphEdits.inputIndex(concat, "lr")).isEmpty();
      assertThatThrownBy(() -> GraphEdits.opDef(g, "NoSuchOp"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("no op type 'NoSuchOp' is registered");
    }
  }

  @Test
  void replacedInputIsWhatTheOpComputesWith() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> two = tf.constant(2f);
      Operand<TFloat32> product = tf.math.mul(two, tf.constant(5f));
      Operand<TFloat32> seven = tf.withName("seven").constant(7f);
      GraphOperation mul = (GraphOperation) product.op();
      GraphEdits.replaceInput(mul, 0, seven);
      assertThat(mul.input(0).op().name()).isEqualTo("seven");
      assertThat(g.toGraphDef().getNodeList().stream().filter(n -> n.getName().equals(mul.name())).findFirst()
              .orElseThrow().getInput(0)).isEqualTo("seven");
      try (NativeSession s = NativeSession.open(g); RunResult r = s.runner().fetch(product).run()) {
        assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(35f);
      }
    }
  }

  @Test
  void mismatchedDtypesAndIndicesAreRejectedNamingThem() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      GraphOperation mul = (GraphOperation) tf.withName("m").math.mul(tf.constant(2f), tf.constant(5f)).op();
      assertThatThrownBy(() -> GraphEdits.replaceInput(mul, 0, tf.withName("i").constant(3)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("input 0 of 'm' is DT_FLOAT, but 'i:0' is DT_INT32");
      assertThatThrownBy(() -> GraphEdits.replaceInput(mul, 2, tf.constant(3f)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("operation 'm' has 2 input(s), so input 2 does not exist");
      assertThatThrownBy(() -> GraphEdits.replaceInput(mul, 0, tf.constant(new float[] {1f, 2f})))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("incompatible shapes");
    }
  }
}

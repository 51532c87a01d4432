package dev.tfmon.graph;

import dev.tfmon.runtime.GraphNames;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * Graph ops that tell whether variables are initialized: what a Scaffold's ready ops are made of
 * (TensorFlow 1.x's {@code report_uninitialized_variables} and {@code
 * assert_variables_initialized}).
 *
 * <pre>{@code
 * Output<TString> notReady = VariableChecks.reportUninitialized(graph, VariableChecks.allVariables(graph));
 * }</pre>
 */
public final class VariableChecks {
  private VariableChecks() {}

  /** Every variable op of the graph ({@code VariableV2}, {@code VarHandleOp}), in graph order. */
  public static List<Output<?>> allVariables(Graph graph) {
    List<Output<?>> out = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      String type = op.type();
      if (type.equals("VariableV2") || type.equals("VarHandleOp") || type.equals("Variable")) {
        out.add(op.output(0));
      }
    }
    return out;
  }

  /**
   * A 1-D string tensor with the names of the uninitialized ones among {@code variables}; empty
   * when all are initialized (and always empty for no variable).
   */
  public static Output<TString> reportUninitialized(Graph graph, Collection<? extends Output<?>> variables) {
    GraphFinalization.checkNotFinalized(graph, "a report of uninitialized variables");
    Ops tf = Ops.create(graph);
    String name = GraphNames.uniqueOpName(graph, "report_uninitialized_variables");
    if (variables.isEmpty()) {
      return tf.withName(name).constant(NdArrays.ofObjects(String.class, Shape.of(0))).asOutput();
    }
    List<Operand<TBool>> flags = new ArrayList<>();
    String[] names = new String[variables.size()];
    int i = 0;
    for (Output<?> v : variables) {
      names[i++] = v.op().name();
      flags.add(
          v.op().type().equals("VarHandleOp") ? tf.varIsInitializedOp(v) : tf.isVariableInitialized(v));
    }
    // names[where(!initialized)]: Python uses boolean_mask, whose TF Java helper cannot be
    // created inside a sub-scope; where + gather_nd is the same computation.
    Ops scoped = tf.withSubScope(name);
    Operand<TBool> notInitialized = scoped.math.logicalNot(scoped.stack(flags));
    Operand<TString> all = scoped.constant(StdArrays.ndCopyOf(names));
    return scoped.gatherNd(all, scoped.where(notInitialized)).asOutput();
  }

  /**
   * The older, assert-style readiness op: an int32 tensor (the variables' ranks) whose evaluation
   * fails with FAILED_PRECONDITION ("...uninitialized...") while a variable is uninitialized.
   */
  public static Output<TInt32> assertInitialized(Graph graph, Collection<? extends Output<?>> variables) {
    GraphFinalization.checkNotFinalized(graph, "an assertion that variables are initialized");
    Ops tf = Ops.create(graph);
    List<Operand<TInt32>> ranks = new ArrayList<>();
    for (Output<?> v : variables) {
      ranks.add(tf.rank(tf.identity(v)));
    }
    String name = GraphNames.uniqueOpName(graph, "assert_variables_initialized");
    return tf.withName(name).stack(ranks).asOutput();
  }
}

package dev.tfmon.eval;

import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.runtime.GraphNames;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TInt64;

/**
 * The batches an evaluation has run: TF 1.x's {@code eval_step}, an int64 local variable (so the
 * local init op zeroes it in every evaluation session) listed in collections {@code
 * local_variables} and {@code eval_step}, incremented once per batch.
 *
 * @param variable the {@code eval_step} variable
 * @param batch the target to run once per batch: the metrics' update and the increment
 * @param completed the count after this batch, ordered after the update and the increment
 */
record EvalStepCounter(GraphVariable variable, Operation batch, Output<TInt64> completed) {
  /** Python's {@code GraphKeys.EVAL_STEP}. */
  static final String COLLECTION = "eval_step";

  /** Adds {@code eval_step}, its increment and the per-batch target after {@code update}. */
  static EvalStepCounter create(Graph graph, Operation update) {
    Ops tf = Ops.create(graph);
    String name = GraphNames.uniqueOpName(graph, "eval_step");
    GraphOperation variable =
        graph.opBuilder("VariableV2", name, tf.scope())
            .setAttr("dtype", DataType.DT_INT64)
            .setAttr("shape", Shape.scalar())
            .build();
    GraphOperation zero;
    try (TInt64 z = TInt64.scalarOf(0L)) {
      zero = graph.opBuilder("Const", name + "/Initializer/zeros", tf.scope())
          .setAttr("dtype", DataType.DT_INT64).setAttr("value", z).build();
    }
    GraphOperation assign = graph.opBuilder("Assign", name + "/Assign", tf.scope())
        .addInput(variable.output(0)).addInput(zero.output(0)).build();
    GraphOperation read = graph.opBuilder("Identity", name + "/read", tf.scope()).addInput(variable.output(0)).build();
    GraphOperation one;
    try (TInt64 o = TInt64.scalarOf(1L)) {
      one = graph.opBuilder("Const", name + "/increment/value", tf.scope())
          .setAttr("dtype", DataType.DT_INT64).setAttr("value", o).build();
    }
    GraphOperation increment = graph.opBuilder("AssignAdd", name + "/increment", tf.scope())
        .addInput(variable.output(0)).addInput(one.output(0))
        .addControlInput(update)
        .build();
    // Python's _get_latest_eval_step_value: the count read after this batch's updates.
    Output<?> read2 = graph.opBuilder("Identity", name + "/completed", tf.scope())
        .addInput(increment.output(0))
        .addControlInput(update)
        .build()
        .output(0);
    @SuppressWarnings("unchecked")
    Output<TInt64> completed = (Output<TInt64>) read2;
    GraphOperationBuilder batch = graph.opBuilder("NoOp", GraphNames.uniqueOpName(graph, "eval_batch"), tf.scope());
    batch.addControlInput(update).addControlInput(increment);
    GraphVariable described = new GraphVariable(variable.output(0), assign, read.output(0), zero.output(0), false);
    GraphCollections collections = GraphCollections.of(graph);
    collections.add(CollectionKeys.LOCAL_VARIABLES, described);
    collections.add(COLLECTION, described);
    return new EvalStepCounter(described, batch.build(), completed);
  }
}

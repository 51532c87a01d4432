package dev.tfmon.eval;

import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.graph.GraphVariable;
import java.util.Optional;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;

/**
 * A boolean variable that tells every worker of a cluster to stop: the Estimator way of carrying
 * the chief's early-stopping decision ({@code signal_early_stopping/STOP}, a non-trainable global
 * variable on a ps task). The chief sets it ({@link EarlyStoppingHook.Builder#stopFlag}); every
 * worker reads it with a {@link StopFlagHook} and stops.
 *
 * <pre>{@code
 * ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(cluster);
 * StopFlag flag = StopFlag.create(graph, placement.nextVariableDevice());   // in every worker's graph
 * mts.hook(new StopFlagHook(flag));                                         // every worker
 * // chief: EarlyStoppingHook.builder(goal)...stopFlag(flag)
 * }</pre>
 *
 * <p>As a global variable it is initialized to false by the chief's init op and saved in
 * checkpoints: a run resumed from a checkpoint written after the decision stops again at once.
 *
 * @param variable the {@code signal_early_stopping/STOP} variable
 * @param set assigns true
 * @param value the variable's value, to fetch
 */
public record StopFlag(GraphVariable variable, Operation set, Output<TBool> value) {
  /** The variable's name, as Estimator names it. */
  public static final String NAME = "signal_early_stopping/STOP";

  /** Creates the flag without a device (a single process). */
  public static StopFlag create(Graph graph) {
    return create(graph, null);
  }

  /**
   * Creates the flag on {@code device} (a ps task, so that every worker sees one variable; null:
   * no device).
   *
   * @throws IllegalArgumentException if the graph already has a stop flag
   * @throws IllegalStateException if the graph is finalized
   */
  public static StopFlag create(Graph graph, DeviceSpec device) {
    if (graph.operation(NAME) != null) {
      throw new IllegalArgumentException("the graph already has a stop flag " + NAME);
    }
    GraphFinalization.checkNotFinalized(graph, "the stop flag");
    Ops tf = device == null ? Ops.create(graph) : Ops.create(graph).withDevice(device);
    Scope init = tf.withInitScope().scope();
    GraphOperation variable = graph.opBuilder("VariableV2", NAME, init)
        .setAttr("dtype", DataType.DT_BOOL).setAttr("shape", Shape.scalar()).build();
    GraphOperation no;
    GraphOperation yes;
    try (TBool f = TBool.scalarOf(false); TBool t = TBool.scalarOf(true)) {
      no = graph.opBuilder("Const", NAME + "/Initializer/Const", init)
          .setAttr("dtype", DataType.DT_BOOL).setAttr("value", f).build();
      yes = graph.opBuilder("Const", NAME + "/set/value", tf.scope())
          .setAttr("dtype", DataType.DT_BOOL).setAttr("value", t).build();
    }
    GraphOperation assign = graph.opBuilder("Assign", NAME + "/Assign", init)
        .addInput(variable.output(0)).addInput(no.output(0)).build();
    GraphOperation read = graph.opBuilder("Identity", NAME + "/read", tf.scope()).addInput(variable.output(0)).build();
    GraphOperation set = graph.opBuilder("Assign", NAME + "/set", tf.scope())
        .addInput(variable.output(0)).addInput(yes.output(0)).build();
    GraphVariable described = new GraphVariable(variable.output(0), assign, read.output(0), no.output(0), false);
    GraphCollections.of(graph).add(CollectionKeys.GLOBAL_VARIABLES, described);
    @SuppressWarnings("unchecked")
    Output<TBool> value = (Output<TBool>) (Output<?>) read.output(0);
    return new StopFlag(described, set, value);
  }

  /** The graph's stop flag, if {@link #create} made one. */
  public static Optional<StopFlag> find(Graph graph) {
    for (GraphVariable v : GraphCollections.of(graph).variables(CollectionKeys.GLOBAL_VARIABLES)) {
      if (v.name().equals(NAME)) {
        Operation set = graph.operation(NAME + "/set");
        @SuppressWarnings("unchecked")
        Output<TBool> value = (Output<TBool>) (Output<?>) v.snapshot();
        return set == null ? Optional.empty() : Optional.of(new StopFlag(v, set, value));
      }
    }
    return Optional.empty();
  }
}

package dev.tfmon.cluster;

import dev.tfmon.graph.GraphVariable;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RequestedDevices;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The raw ops of synchronous replicas, each pinned to a device given as a name (the device string
 * of the variable or global step it serves; TF Java's {@code Ops.withDevice} takes a {@code
 * DeviceSpec}, which cannot be parsed from one): accumulators, the token queue, the local step.
 * {@link SyncReplicas} wires them.
 */
final class SyncOpBuilder {
  private final Graph graph;
  private final String name;
  private final Scope scope;

  SyncOpBuilder(Graph graph, String name) {
    this.graph = graph;
    this.name = name;
    this.scope = Ops.create(graph).scope();
  }

  private GraphOperationBuilder op(String type, String opName) {
    return graph.opBuilder(type, GraphNames.uniqueOpName(graph, opName), scope);
  }

  /**
   * Builds and pins to {@code device}: TF Java's {@code build()} applies its scope's device last,
   * over any {@code setDevice}, so the device is set on the built op.
   */
  private static GraphOperation pin(GraphOperationBuilder builder, String device) {
    GraphOperation op = builder.build();
    if (device != null && !device.isEmpty()) {
      RequestedDevices.set(op, device);
    }
    return op;
  }

  /** {@code <name>/local_step}: int64, zero at the local init, on this worker, not trainable. */
  GraphVariable localStep(String device) {
    String base = name + "/local_step";
    GraphOperation variable =
        pin(op("VariableV2", base)
            .setAttr("dtype", DataType.DT_INT64)
            .setAttr("shape", Shape.scalar())
            , device);
    GraphOperation zero = int64(base + "/Initializer/zeros", 0L, device);
    GraphOperation assign =
        pin(op("Assign", base + "/Assign")
            .addInput(variable.output(0))
            .addInput(zero.output(0))
            , device);
    GraphOperation read = pin(op("Identity", base + "/read").addInput(variable.output(0)), device);
    return new GraphVariable(variable.output(0), assign, read.output(0), zero.output(0), false);
  }

  /** A ConditionalAccumulator shared by every worker (its shared name is its op name). */
  Output<TString> accumulator(String scopeName, DataType dtype, Shape shape, String device) {
    String opName = GraphNames.uniqueOpName(graph, scopeName + "/grad_accum");
    GraphOperation acc =
        pin(op("ConditionalAccumulator", opName)
            .setAttr("dtype", dtype)
            .setAttr("shape", shape)
            .setAttr("shared_name", opName)
            .setAttr("reduction_type", "MEAN")
            , device);
    return acc.output(0);
  }

  /** Pushes {@code gradient} tagged with {@code localStep}; dropped by the accumulator if stale. */
  Operation push(
      String scopeName, Output<TString> accumulator, Output<?> localStep, Output<?> gradient, String device) {
    return pin(op("AccumulatorApplyGradient", scopeName + "/apply_grad")
        .addInput(accumulator)
        .addInput(localStep)
        .addInput(gradient)
        .setAttr("dtype", gradient.dataType())
        , device);
  }

  /** The average of {@code required} gradients, once that many have arrived. */
  Output<?> take(String scopeName, Output<TString> accumulator, int required, DataType dtype, String device) {
    GraphOperation count = int32(scopeName + "/num_required", required, device);
    return pin(op("AccumulatorTakeGradient", scopeName + "/take_grad")
        .addInput(accumulator)
        .addInput(count.output(0))
        .setAttr("dtype", dtype)
        , device)
        .output(0);
  }

  /** Sets the accumulator's step (its staleness bar) to {@code step}. */
  Operation setAccumulatorStep(String scopeName, Output<TString> accumulator, Output<?> step, String device) {
    return pin(op("AccumulatorSetGlobalStep", scopeName + "/SetGlobalStep")
        .addInput(accumulator)
        .addInput(step)
        , device);
  }

  /** {@code <name>/token_queue}: an unbounded FIFOQueue of int64 scalars, shared by every worker. */
  Output<?> tokenQueue(String device) {
    String opName = GraphNames.uniqueOpName(graph, name + "/token_queue");
    return pin(op("FIFOQueueV2", opName)
        .setAttr("component_types", new DataType[] {DataType.DT_INT64})
        .setAttr("shapes", new Shape[] {Shape.scalar()})
        .setAttr("capacity", -1L)
        .setAttr("shared_name", opName)
        , device)
        .output(0);
  }

  /**
   * Enqueues {@code count} tokens holding the step's value as read after {@code after} ran (a read
   * of its own: the graph's shared read of the step has no such ordering).
   */
  Operation enqueueTokens(
      String opName, Output<?> queue, Output<?> stepVariable, int count, Operation after, String device) {
    GraphOperationBuilder readBuilder = op("Identity", opName + "/step").addInput(stepVariable);
    if (after != null) {
      readBuilder.addControlInput(after);
    }
    GraphOperation read = pin(readBuilder, device);
    GraphOperation dims = int32Vector(opName + "/count", count, device);
    GraphOperation tokens =
        pin(op("Fill", opName + "/tokens").addInput(dims.output(0)).addInput(read.output(0)), device);
    return pin(op("QueueEnqueueManyV2", opName)
        .addInput(queue)
        .addInputList(new Output<?>[] {tokens.output(0)}), device);
  }

  /** Takes one token once every op of {@code after} (the pushes) has run. */
  Output<TInt64> dequeueToken(Output<?> queue, List<Operation> after, String device) {
    GraphOperationBuilder b =
        op("QueueDequeueV2", name + "/take_token")
            .addInput(queue)
            .setAttr("component_types", new DataType[] {DataType.DT_INT64});
    after.forEach(b::addControlInput);
    return pin(b, device).output(0);
  }

  /** The variable's value read once {@code after} has run. */
  Output<?> read(String opName, Output<?> variable, Operation after, String device) {
    return pin(op("Identity", opName).addInput(variable).addControlInput(after), device).output(0);
  }

  Operation assign(String opName, Output<?> variable, Output<?> value, String device) {
    return pin(op("Assign", opName).addInput(variable).addInput(value), device);
  }

  /** A NoOp named {@code opName} that runs after {@code deps}. */
  Operation group(String opName, List<Operation> deps) {
    GraphOperationBuilder b = op("NoOp", opName);
    deps.forEach(b::addControlInput);
    return pin(b, null);
  }

  private GraphOperation int64(String opName, long value, String device) {
    try (TInt64 t = TInt64.scalarOf(value)) {
      return pin(op("Const", opName).setAttr("dtype", DataType.DT_INT64).setAttr("value", t), device);
    }
  }

  private GraphOperation int32(String opName, int value, String device) {
    try (TInt32 t = TInt32.scalarOf(value)) {
      return pin(op("Const", opName).setAttr("dtype", DataType.DT_INT32).setAttr("value", t), device);
    }
  }

  private GraphOperation int32Vector(String opName, int value, String device) {
    try (TInt32 t = TInt32.vectorOf(value)) {
      return pin(op("Const", opName).setAttr("dtype", DataType.DT_INT32).setAttr("value", t), device);
    }
  }
}

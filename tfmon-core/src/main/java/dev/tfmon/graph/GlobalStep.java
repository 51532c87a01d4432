package dev.tfmon.graph;

import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TInt64;

/**
 * The training step counter: an int64 scalar variable named {@code global_step}, as TensorFlow 1.x's
 * {@code tf.train.get_or_create_global_step()} makes it, found again by name or collection in a
 * graph imported from Python.
 *
 * <pre>{@code
 * GraphVariable step = GlobalStep.getOrCreate(graph);
 * Output<TInt64> stepValue = GlobalStep.readTensor(graph);   // what hooks fetch
 * }</pre>
 */
public final class GlobalStep {
  private static final Logger LOG = LoggerFactory.getLogger(GlobalStep.class);
  /** The variable's name, in the graph's root scope. */
  public static final String NAME = "global_step";

  private GlobalStep() {}

  /**
   * The graph's global step: the one item of collection {@code global_step}, else the variable
   * named {@code global_step}. Empty when there is none, or (logged) when the collection holds
   * several.
   *
   * @throws IllegalArgumentException if the found tensor is not an integer scalar
   */
  public static synchronized Optional<GraphVariable> get(Graph graph) {
    List<GraphVariable> listed = GraphCollections.of(graph).variables(CollectionKeys.GLOBAL_STEP);
    if (listed.size() > 1) {
      LOG.error(
          "collection '{}' holds {} variables; a graph has at most one global step",
          CollectionKeys.GLOBAL_STEP,
          listed.size());
      return Optional.empty();
    }
    GraphVariable found = listed.isEmpty() ? findByName(graph) : listed.get(0);
    if (found != null) {
      check(found);
    }
    return Optional.ofNullable(found);
  }

  /**
   * Creates the global step: an int64 scalar {@code global_step} initialized to zero, non-trainable,
   * in collections {@code variables} and {@code global_step}. Its initializer is registered with TF
   * Java's init scope too, so {@code Session.initialize()} covers it.
   *
   * @throws IllegalArgumentException if the graph already has a global step
   */
  public static synchronized GraphVariable create(Graph graph) {
    return create(graph, null);
  }

  /**
   * {@link #create(Graph)} with the variable pinned to {@code device} (null: no device), e.g. a
   * parameter server task so that every worker of a cluster shares one step.
   *
   * @throws IllegalArgumentException if the graph already has a global step
   */
  public static synchronized GraphVariable create(Graph graph, org.tensorflow.DeviceSpec device) {
    if (get(graph).isPresent() || graph.operation(NAME) != null) {
      throw new IllegalArgumentException("\"global_step\" already exists in this graph");
    }
    GraphFinalization.checkNotFinalized(graph, "the global step");
    Ops tf = device == null ? Ops.create(graph) : Ops.create(graph).withDevice(device);
    Scope init = tf.withInitScope().scope();
    GraphOperation variable =
        graph
            .opBuilder("VariableV2", NAME, init)
            .setAttr("dtype", DataType.DT_INT64)
            .setAttr("shape", org.tensorflow.ndarray.Shape.scalar())
            .build();
    GraphOperation zeros;
    try (TInt64 zero = TInt64.scalarOf(0L)) {
      zeros =
          graph
              .opBuilder("Const", NAME + "/Initializer/zeros", init)
              .setAttr("dtype", DataType.DT_INT64)
              .setAttr("value", zero)
              .build();
    }
    GraphOperation assign =
        graph
            .opBuilder("Assign", NAME + "/Assign", init)
            .addInput(variable.output(0))
            .addInput(zeros.output(0))
            .build();
    GraphOperation read =
        graph.opBuilder("Identity", NAME + "/read", tf.scope()).addInput(variable.output(0)).build();
    GraphVariable step =
        new GraphVariable(variable.output(0), assign, read.output(0), zeros.output(0), false);
    GraphCollections collections = GraphCollections.of(graph);
    collections.add(CollectionKeys.GLOBAL_VARIABLES, step);
    collections.add(CollectionKeys.GLOBAL_STEP, step);
    return step;
  }

  /** {@link #get} if there is one, else {@link #create}. */
  public static synchronized GraphVariable getOrCreate(Graph graph) {
    return get(graph).orElseGet(() -> create(graph));
  }

  /**
   * An int64 scalar holding a copy of the global step's value, created once per graph (named {@code
   * global_step/value_copy}, cached in collection {@code global_step_read_op_cache}). Hooks fetch
   * this copy, never the variable, so a train op that increments the step in the same run does not
   * change what they read.
   *
   * @throws IllegalStateException if the graph has no global step
   */
  @SuppressWarnings("unchecked")
  public static synchronized Output<TInt64> readTensor(Graph graph) {
    GraphCollections collections = GraphCollections.of(graph);
    List<Output> cached = collections.get(CollectionKeys.GLOBAL_STEP_READ_CACHE, Output.class);
    if (!cached.isEmpty()) {
      return (Output<TInt64>) cached.get(0);
    }
    GraphVariable step = require(graph);
    GraphFinalization.checkNotFinalized(graph, "the global step's read tensor");
    Ops tf = Ops.create(graph);
    Output<?> value = valueOf(graph, step);
    GraphOperation zero;
    try (TInt64 z = TInt64.scalarOf(0L)) {
      zero =
          graph
              .opBuilder("Const", GraphNames.uniqueOpName(graph, step.name() + "/zero"), tf.scope())
              .setAttr("dtype", DataTypes.base(value.dataType()))
              .setAttr("value", z)
              .build();
    }
    GraphOperation copy =
        graph
            .opBuilder("AddV2", GraphNames.uniqueOpName(graph, step.name() + "/value_copy"), tf.scope())
            .addInput(value)
            .addInput(zero.output(0))
            .build();
    Output<TInt64> out = copy.output(0);
    collections.add(CollectionKeys.GLOBAL_STEP_READ_CACHE, out);
    return out;
  }

  /**
   * An op adding {@code amount} to the global step, ordered after {@link #readTensor} so that a read
   * fetched in the same run sees the value before the increment.
   *
   * @throws IllegalStateException if the graph has no global step
   */
  public static synchronized Operation increment(Graph graph, long amount) {
    Output<TInt64> read = readTensor(graph);
    return incrementAfter(graph, amount, NAME + "/increment", List.of(read.op()));
  }

  /**
   * An op named {@code name} (made unique if taken) that adds {@code amount} to the global step
   * once every operation of {@code after} has run. For a ref variable it is an {@code AssignAdd},
   * like Python's {@code minimize(..., global_step)}.
   */
  public static synchronized Operation incrementAfter(
      Graph graph, long amount, String name, List<Operation> after) {
    GraphVariable step = require(graph);
    Scope scope = Ops.create(graph).scope();
    GraphOperation delta;
    try (TInt64 value = TInt64.scalarOf(amount)) {
      delta =
          graph
              .opBuilder("Const", GraphNames.uniqueOpName(graph, name + "/value"), scope)
              .setAttr("dtype", DataType.DT_INT64)
              .setAttr("value", value)
              .build();
    }
    var builder =
        step.isResource()
            ? graph
                .opBuilder("AssignAddVariableOp", GraphNames.uniqueOpName(graph, name), scope)
                .addInput(step.variable())
                .addInput(delta.output(0))
                .setAttr("dtype", DataType.DT_INT64)
            : graph
                .opBuilder("AssignAdd", GraphNames.uniqueOpName(graph, name), scope)
                .addInput(step.variable())
                .addInput(delta.output(0));
    after.forEach(builder::addControlInput);
    return builder.build();
  }

  /**
   * Runs the read tensor on {@code session} (no hook sees the run) and returns the global step: the
   * one way tfmon reads the step from a session.
   */
  public static long value(RunnableSession session) {
    Output<TInt64> read = readTensor(session.graph());
    try (RunResult r = session.runner().fetch(read).run()) {
      return r.getLong(read);
    }
  }

  private static GraphVariable require(Graph graph) {
    return get(graph)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "this graph has no global step: create one with GlobalStep.getOrCreate(graph)"));
  }

  /** The tensor that holds the step's current value (a copy is made by the consumer). */
  private static Output<?> valueOf(Graph graph, GraphVariable step) {
    if (!step.isResource()) {
      return step.variable();
    }
    GraphOperation read =
        graph
            .opBuilder("ReadVariableOp", GraphNames.uniqueOpName(graph, step.name() + "/value_read"), Ops.create(graph).scope())
            .addInput(step.variable())
            .setAttr("dtype", DataType.DT_INT64)
            .build();
    return read.output(0);
  }

  private static GraphVariable findByName(Graph graph) {
    GraphOperation op = graph.operation(NAME);
    if (op == null) {
      return null;
    }
    GraphOperation assign = graph.operation(NAME + "/Assign");
    GraphOperation read = graph.operation(NAME + "/read");
    return new GraphVariable(
        op.output(0),
        assign,
        read == null ? null : read.output(0),
        null,
        false);
  }

  private static void check(GraphVariable step) {
    Output<?> v = step.variable();
    String type = v.op().type();
    DataType dtype;
    if (type.equals("VarHandleOp")) {
      var attributes = ((GraphOperation) v.op()).attributes();
      dtype = attributes.getAttrType("dtype");
      if (attributes.getAttrShape("shape").numDimensions() != 0) {
        throw new IllegalArgumentException(
            "global step '" + v.op().name() + "' must be a scalar, but has shape "
                + attributes.getAttrShape("shape"));
      }
    } else {
      dtype = v.dataType();
      if (v.shape().numDimensions() > 0) {
        throw new IllegalArgumentException(
            "global step '" + v.op().name() + "' must be a scalar, but has shape " + v.shape());
      }
    }
    DataType base = DataTypes.base(dtype);
    if (base != DataType.DT_INT64 && base != DataType.DT_INT32) {
      throw new IllegalArgumentException(
          "global step '" + v.op().name() + "' must be an integer, but is " + dtype);
    }
  }


}

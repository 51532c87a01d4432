package dev.tfmon.graph;

import dev.tfmon.optimizers.OrderedOptimizers;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.op.Op;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Builds a training op the way TensorFlow 1.x's {@code optimizer.minimize(loss, global_step)} does:
 * gradients of the loss against the trainable variables only, their updates, then the global step
 * incremented after the updates.
 *
 * <p>tensorflow-framework's own {@code Optimizer.minimize(loss)} differentiates against every
 * variable of the graph, so an int64 global step (or any non-float variable) makes it fail; this
 * helper is the replacement. It also places the optimizer's own variables (slots, beta powers)
 * beside the variables they serve ({@link OptimizerColocation}), which makes every optimizer work
 * with variables on parameter servers. Handed tensorflow-framework's Adam, Adamax or AdaGradDA, whose
 * own state races with their updates, it logs one WARN line per class naming the ordered
 * replacement ({@code dev.tfmon.optimizers}).
 *
 * <pre>{@code
 * Operation train = TrainOps.minimize(new OrderedAdam(graph, 0.01f), loss, "train_op");
 * // a rate that changes with the global step (see dev.tfmon.schedule):
 * Operand<TFloat32> lr = LearningRateSchedule.exponentialDecay(0.1, 1000, 0.96, true).learningRate(graph);
 * Operation scheduled = TrainOps.minimize(new OrderedAdam(graph), lr, loss, "train_op");
 * }</pre>
 */
public final class TrainOps {
  private TrainOps() {}

  private static final Set<DataType> FLOAT_TYPES =
      Set.of(DataType.DT_FLOAT, DataType.DT_DOUBLE, DataType.DT_HALF, DataType.DT_BFLOAT16);

  /**
   * Minimizes {@code loss} over {@link #trainableVariables(Graph)} and increments the graph's global
   * step (created if missing) once per run. The returned op is named {@code name}, is an {@code
   * AssignAdd} on the global step like Python's, and joins collection {@code train_op}.
   *
   * @throws IllegalArgumentException if the graph has no trainable variable, or the loss depends on
   *     none of them
   */
  public static Operation minimize(Optimizer optimizer, Operand<?> loss, String name) {
    Graph graph = (Graph) loss.env();
    GlobalStep.getOrCreate(graph);
    return stepAfter(graph, applyGradients(optimizer, loss, name + "_update"), name);
  }

  /**
   * {@link #minimize(Optimizer, Operand, String)} with the learning rate a tensor (a scalar, e.g.
   * a {@code dev.tfmon.schedule} schedule over the global step): the optimizer's own float rate is
   * replaced by it in every update, computed in the same run as the update (before the global step
   * is incremented), with nothing to feed. Construct the optimizer with any rate.
   *
   * @throws IllegalArgumentException if the rate is not a floating-point scalar of the loss's
   *     graph, if the optimizer has no learning-rate input to wire (tensorflow-framework's Nadam),
   *     or for the reasons of {@link #minimize(Optimizer, Operand, String)}
   */
  public static Operation minimize(
      Optimizer optimizer, Operand<?> learningRate, Operand<?> loss, String name) {
    Graph graph = (Graph) loss.env();
    GlobalStep.getOrCreate(graph);
    return stepAfter(graph, applyGradients(optimizer, learningRate, loss, name + "_update"), name);
  }

  /**
   * {@link #applyGradients(Optimizer, Operand, String)} with the learning rate a tensor, as in
   * {@link #minimize(Optimizer, Operand, Operand, String)}.
   */
  public static Op applyGradients(
      Optimizer optimizer, Operand<?> learningRate, Operand<?> loss, String name) {
    Graph graph = (Graph) loss.env();
    GraphFinalization.checkNotFinalized(graph, "a train op");
    LearningRateWiring wiring = LearningRateWiring.before(graph, learningRate);
    Op update = applyGradients(optimizer, loss, name);
    wiring.wire(optimizer);
    return update;
  }

  private static Operation stepAfter(Graph graph, Op update, String name) {
    // After the updates, and after the step's read copy: hooks fetching that copy in the same run
    // see the value before this increment (GS-7), never a value that repeats or skips.
    Output<TInt64> stepRead = GlobalStep.readTensor(graph);
    Operation step = GlobalStep.incrementAfter(graph, 1, name, List.of(update.op(), stepRead.op()));
    GraphCollections.of(graph).add(CollectionKeys.TRAIN_OP, step);
    return step;
  }

  /**
   * Minimizes {@code loss} over {@link #trainableVariables(Graph)} without touching a global step.
   * The optimizer's variables get the devices of the variables they serve ({@link
   * OptimizerColocation}).
   */
  public static Op applyGradients(Optimizer optimizer, Operand<?> loss, String name) {
    return applyGradients(optimizer, computeGradients(loss), name);
  }

  /**
   * The gradients of {@code loss} against {@link #trainableVariables(Graph)}, paired with their
   * variables (TF 1.x's {@code compute_gradients}); variables the loss does not depend on are left
   * out. Code that changes or aggregates gradients before applying them (synchronous replicas,
   * clipping) calls this, then {@link #applyGradients(Optimizer, List, String)}.
   *
   * @throws IllegalArgumentException if the graph has no trainable variable, or the loss depends on
   *     none of them
   */
  public static List<Optimizer.GradAndVar<? extends TType>> computeGradients(Operand<?> loss) {
    Graph graph = (Graph) loss.env();
    List<Output<?>> variables = trainableVariables(graph);
    if (variables.isEmpty()) {
      throw new IllegalArgumentException(
          "no trainable variable in the graph: create float variables, or list them in collection '"
              + CollectionKeys.TRAINABLE_VARIABLES
              + "'");
    }
    Output<?>[] xs = variables.toArray(new Output<?>[0]);
    Output<?>[] grads = graph.addGradients(loss.asOutput(), xs);
    List<Optimizer.GradAndVar<? extends TType>> pairs = new ArrayList<>();
    List<String> unconnected = new ArrayList<>();
    for (int i = 0; i < xs.length; i++) {
      if (grads[i] == null || grads[i].op() == null) {
        unconnected.add(xs[i].op().name());
        continue;
      }
      pairs.add(pair(grads[i], xs[i]));
    }
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException(
          "the loss '"
              + loss.asOutput().op().name()
              + "' depends on none of the trainable variables "
              + unconnected);
    }
    return pairs;
  }

  /**
   * Applies {@code gradients} with {@code optimizer} (TF 1.x's {@code apply_gradients} without a
   * global step) and places the optimizer's own variables beside the variables they serve ({@link
   * OptimizerColocation}).
   *
   * @throws IllegalArgumentException if {@code gradients} is empty
   */
  public static Op applyGradients(
      Optimizer optimizer, List<Optimizer.GradAndVar<? extends TType>> gradients, String name) {
    if (gradients.isEmpty()) {
      throw new IllegalArgumentException("no gradient to apply for '" + name + "'");
    }
    Graph graph = (Graph) gradients.get(0).getVariable().env();
    OrderedOptimizers.warnIfRacy(optimizer);
    Set<String> before = OptimizerColocation.opNames(graph);
    Op update = optimizer.applyGradients(gradients, name);
    List<Output<?>> served = new ArrayList<>();
    gradients.forEach(p -> served.add(p.getVariable()));
    OptimizerColocation.colocate(graph, before, served);
    return update;
  }

  /**
   * The variables an optimizer updates: collection {@code trainable_variables} when it is not empty
   * (as in graphs imported from Python); otherwise every floating-point {@code VariableV2} of the
   * graph except the global step, local variables and variables registered as non-trainable.
   */
  public static List<Output<?>> trainableVariables(Graph graph) {
    GraphCollections collections = GraphCollections.of(graph);
    List<GraphVariable> listed = collections.variables(CollectionKeys.TRAINABLE_VARIABLES);
    List<Output<?>> out = new ArrayList<>();
    if (!listed.isEmpty()) {
      listed.forEach(v -> out.add(v.variable()));
      return out;
    }
    Set<String> excluded = new HashSet<>();
    GlobalStep.get(graph).ifPresent(s -> excluded.add(s.name()));
    collections.variables(CollectionKeys.LOCAL_VARIABLES).forEach(v -> excluded.add(v.name()));
    for (GraphVariable v : collections.variables(CollectionKeys.GLOBAL_VARIABLES)) {
      if (!v.trainable()) {
        excluded.add(v.name());
      }
    }
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals("VariableV2")
          && FLOAT_TYPES.contains(DataTypes.base(op.output(0).dataType()))
          && !excluded.contains(op.name())) {
        out.add(op.output(0));
      }
    }
    return out;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Optimizer.GradAndVar<? extends TType> pair(Output<?> grad, Output<?> variable) {
    return new Optimizer.GradAndVar(grad, variable);
  }
}

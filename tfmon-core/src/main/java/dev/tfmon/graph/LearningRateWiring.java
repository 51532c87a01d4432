package dev.tfmon.graph;

import dev.tfmon.runtime.GraphEdits;
import dev.tfmon.runtime.GraphNames;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;

/**
 * Makes a tensorflow-framework optimizer use a learning-rate tensor. Its optimizers take a float
 * and build it into the graph as a constant that feeds the learning-rate input ({@code lr}, or
 * {@code alpha} for gradient descent) of each training op ({@code ApplyAdam}, {@code
 * ApplyMomentum}, ...); TF Java 1.1.0 has no placeholder or setter for it. After the optimizer has
 * built its ops, that input of every new training op is pointed at the tensor ({@link
 * GraphEdits#replaceInput}): the rate is computed in the same run as the update, with nothing fed.
 */
final class LearningRateWiring {
  private static final Pattern TRAINING_OP = Pattern.compile("(Resource)?(Sparse)?Apply\\w+");

  private final Graph graph;
  private final Output<?> rate;
  private final Set<String> before = new HashSet<>();

  private LearningRateWiring(Graph graph, Output<?> rate) {
    this.graph = graph;
    this.rate = rate;
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      before.add(it.next().name());
    }
  }

  /**
   * Remembers the graph's operations before the optimizer adds its own.
   *
   * @throws IllegalArgumentException if the rate is of another graph, not a number, or not a
   *     scalar
   */
  static LearningRateWiring before(Graph graph, Operand<?> learningRate) {
    Output<?> rate = learningRate.asOutput();
    if (rate.env() != graph) {
      throw new IllegalArgumentException(
          "the learning rate '" + GraphNames.tensorName(rate) + "' belongs to another graph than the loss");
    }
    DataType dtype = DataTypes.base(rate.dataType());
    if (dtype != DataType.DT_FLOAT && dtype != DataType.DT_DOUBLE && dtype != DataType.DT_HALF
        && dtype != DataType.DT_BFLOAT16) {
      throw new IllegalArgumentException(
          "the learning rate '" + GraphNames.tensorName(rate) + "' must be a floating-point tensor, but is "
              + dtype);
    }
    if (!rate.shape().isUnknown() && rate.shape().numDimensions() != 0) {
      throw new IllegalArgumentException(
          "the learning rate '" + GraphNames.tensorName(rate) + "' must be a scalar, but has shape "
              + rate.shape());
    }
    return new LearningRateWiring(graph, rate);
  }

  /**
   * Wires the rate into every training op created since {@link #before}.
   *
   * @return the training ops rewired
   * @throws IllegalArgumentException if the optimizer created no training op with a
   *     learning-rate input (it computes its updates from plain math ops, as Nadam does)
   */
  List<GraphOperation> wire(Optimizer optimizer) {
    Map<DataType, Output<?>> casts = new EnumMap<>(DataType.class);
    casts.put(DataTypes.base(rate.dataType()), rate);
    List<GraphOperation> wired = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (before.contains(op.name()) || !TRAINING_OP.matcher(op.type()).matches()) {
        continue;
      }
      OptionalInt index = rateInput(op);
      if (index.isEmpty()) {
        continue;
      }
      DataType wanted = DataTypes.base(op.input(index.getAsInt()).dataType());
      Output<?> source = casts.computeIfAbsent(wanted, this::castRate);
      GraphEdits.replaceInput(op, index.getAsInt(), source);
      wired.add(op);
    }
    if (wired.isEmpty()) {
      throw new IllegalArgumentException(
          "optimizer "
              + optimizer.getOptimizerName()
              + " built no training op with a learning-rate input, so the learning rate '"
              + GraphNames.tensorName(rate)
              + "' cannot replace its constant rate; use GradientDescent, Momentum, Adam, Adamax,"
              + " AdaGrad, AdaGradDA, AdaDelta, RMSProp or Ftrl, or give it a float rate");
    }
    return wired;
  }

  /** {@code lr}, else {@code alpha} (gradient descent's name; AddSign's alpha is not a rate). */
  private static OptionalInt rateInput(GraphOperation op) {
    OptionalInt lr = GraphEdits.inputIndex(op, "lr");
    return lr.isPresent() ? lr : GraphEdits.inputIndex(op, "alpha");
  }

  private Output<?> castRate(DataType dtype) {
    return graph
        .opBuilder("Cast", GraphNames.uniqueOpName(graph, "learning_rate_cast"), Ops.create(graph).scope())
        .addInput(rate)
        .setAttr("SrcT", DataTypes.base(rate.dataType()))
        .setAttr("DstT", dtype)
        .build()
        .output(0);
  }
}

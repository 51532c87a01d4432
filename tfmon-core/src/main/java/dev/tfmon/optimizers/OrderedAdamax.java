package dev.tfmon.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.Adamax;
import org.tensorflow.op.Op;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * tensorflow-framework's {@link Adamax} with {@code beta1_power} updated after the variable
 * updates. The framework's Adamax multiplies the power in the same run as the {@code ApplyAdaMax}
 * ops that read it, unordered (the same defect as its Adam, see {@link OrderedAdam}); on this
 * machine the updates read the advanced power every time, so every step was too large: after two
 * steps of {@code Adamax(0.1)} on a constant gradient a weight had moved by 0.12 where the kernel
 * run in order (TF 1.x contrib's AdaMax) moves it by 0.2. Here the power waits for every update.
 *
 * <p>The constructors, variables and op names are Adamax's.
 *
 * <pre>{@code
 * Operation train = TrainOps.minimize(new OrderedAdamax(graph, 0.002f), loss, "train_op");
 * }</pre>
 */
public class OrderedAdamax extends Adamax {
  private final float learningRate;
  private final float betaOne;
  private final float betaTwo;
  private final float epsilon;
  private Output<TFloat32> betaOnePower;

  /** Adamax's defaults: learning rate 0.001, betas 0.9 and 0.999, epsilon 1e-7. */
  public OrderedAdamax(Graph graph) {
    this(graph, LEARNING_RATE_DEFAULT, BETA_ONE_DEFAULT, BETA_TWO_DEFAULT, EPSILON_DEFAULT);
  }

  /** Adamax's defaults, with {@code name} as the name of the optimizer's ops. */
  public OrderedAdamax(Graph graph, String name) {
    this(graph, name, LEARNING_RATE_DEFAULT, BETA_ONE_DEFAULT, BETA_TWO_DEFAULT, EPSILON_DEFAULT);
  }

  public OrderedAdamax(Graph graph, float learningRate) {
    this(graph, learningRate, BETA_ONE_DEFAULT, BETA_TWO_DEFAULT, EPSILON_DEFAULT);
  }

  public OrderedAdamax(Graph graph, String name, float learningRate) {
    this(graph, name, learningRate, BETA_ONE_DEFAULT, BETA_TWO_DEFAULT, EPSILON_DEFAULT);
  }

  public OrderedAdamax(Graph graph, float learningRate, float betaOne, float betaTwo, float epsilon) {
    super(graph, learningRate, betaOne, betaTwo, epsilon);
    this.learningRate = learningRate;
    this.betaOne = betaOne;
    this.betaTwo = betaTwo;
    this.epsilon = epsilon;
  }

  public OrderedAdamax(Graph graph, String name, float learningRate, float betaOne, float betaTwo, float epsilon) {
    super(graph, name, learningRate, betaOne, betaTwo, epsilon);
    this.learningRate = learningRate;
    this.betaOne = betaOne;
    this.betaTwo = betaTwo;
    this.epsilon = epsilon;
  }

  @Override
  protected void createSlots(List<Output<? extends TType>> variables) {
    super.createSlots(variables);
    betaOnePower = FrameworkState.createdVariable(graph, "Adamax", "beta1_power");
  }

  @Override
  protected Op finish(List<Op> updates, String name) {
    // not Adamax.finish, which adds the power update beside the updates that read the power
    return FrameworkState.finishAfter(tf, updates, name, after -> List.of(
        after.assign(betaOnePower, after.math.mul(betaOnePower, after.constant(betaOne)))));
  }

  @Override
  public String toString() {
    return "OrderedAdamax{learningRate=" + learningRate + ", betaOne=" + betaOne + ", betaTwo=" + betaTwo
        + ", epsilon=" + epsilon + '}';
  }
}

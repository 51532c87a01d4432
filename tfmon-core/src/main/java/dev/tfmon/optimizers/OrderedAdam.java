package dev.tfmon.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.op.Op;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * tensorflow-framework's {@link Adam} with its bias-correction state updated after the variable
 * updates, as TensorFlow 1.x's {@code AdamOptimizer} orders it. The framework's Adam multiplies
 * {@code beta1_power} and {@code beta2_power} by the betas in the same run as the {@code ApplyAdam}
 * ops that read them, with nothing ordering the two, so each update reads the power of this step
 * or of the next depending on thread scheduling: the first step of {@code Adam(0.1)} on a constant
 * gradient moved a weight by 0.0526, 0.0744 or 0.1414 in fresh sessions, where TF 1.x moves it by
 * 0.1. This class makes the power updates wait for every variable update: each step then equals TF
 * 1.x's exactly, and two identical runs give identical weights.
 *
 * <p>The constructors are Adam's; the variables (slots {@code <variable>-m}, {@code -v}, the two
 * powers) and the op names are Adam's too, so checkpoints move freely between the two, and {@code
 * TrainOps} places them on a cluster like Adam's.
 *
 * <pre>{@code
 * Operation train = TrainOps.minimize(new OrderedAdam(graph, 0.01f), loss, "train_op");
 * Optimizer tuned = new OrderedAdam(graph, "adam", 0.001f, 0.9f, 0.98f, 1e-6f);
 * }</pre>
 */
public class OrderedAdam extends Adam {
  private final float betaOne;
  private final float betaTwo;
  private Output<TFloat32> betaOnePower;
  private Output<TFloat32> betaTwoPower;

  /** Adam's defaults: learning rate 0.001, betas 0.9 and 0.999, epsilon 1e-8. */
  public OrderedAdam(Graph graph) {
    this(graph, LEARNING_RATE_DEFAULT, BETA_ONE_DEFAULT, BETA_TWO_DEFAULT, EPSILON_DEFAULT);
  }

  public OrderedAdam(Graph graph, float learningRate) {
    this(graph, learningRate, BETA_ONE_DEFAULT, BETA_TWO_DEFAULT, EPSILON_DEFAULT);
  }

  public OrderedAdam(Graph graph, float learningRate, float betaOne, float betaTwo, float epsilon) {
    super(graph, learningRate, betaOne, betaTwo, epsilon);
    this.betaOne = betaOne;
    this.betaTwo = betaTwo;
  }

  /** With {@code name} as the name of the optimizer's ops. */
  public OrderedAdam(Graph graph, String name, float learningRate) {
    this(graph, name, learningRate, BETA_ONE_DEFAULT, BETA_TWO_DEFAULT, EPSILON_DEFAULT);
  }

  public OrderedAdam(Graph graph, String name, float learningRate, float betaOne, float betaTwo, float epsilon) {
    super(graph, name, learningRate, betaOne, betaTwo, epsilon);
    this.betaOne = betaOne;
    this.betaTwo = betaTwo;
  }

  @Override
  protected void createSlots(List<Output<? extends TType>> variables) {
    super.createSlots(variables);
    betaOnePower = FrameworkState.createdVariable(graph, "Adam", "beta1_power");
    betaTwoPower = FrameworkState.createdVariable(graph, "Adam", "beta2_power");
  }

  @Override
  protected Op finish(List<Op> updates, String name) {
    // not Adam.finish, which adds the power updates beside the updates that read the powers
    return FrameworkState.finishAfter(tf, updates, name, after -> List.of(
        after.assign(betaOnePower, after.math.mul(betaOnePower, after.constant(betaOne))),
        after.assign(betaTwoPower, after.math.mul(betaTwoPower, after.constant(betaTwo)))));
  }

  /** {@code OrderedAdam{learningRate=0.01, betaOne=0.9, betaTwo=0.999, epsilon=1.0E-8}}. */
  @Override
  public String toString() {
    return "Ordered" + super.toString();
  }
}

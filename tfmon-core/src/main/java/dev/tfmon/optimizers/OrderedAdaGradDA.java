package dev.tfmon.optimizers;

import java.util.List;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.AdaGradDA;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssignAdd;
import org.tensorflow.op.train.ApplyAdagradDa;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * tensorflow-framework's {@link AdaGradDA} with its step counter advanced once per run, before the
 * updates that read it. The framework's AdaGradDA increments its {@code adagrad-da-global-step}
 * twice per run (in {@code prepare} and in {@code finish}), and the {@code ApplyAdagradDA} ops read
 * the counter beside both increments, unordered; with L1 or L2 regularization the counter scales
 * the shrinkage, so the weights drift from TF 1.x's (after three steps of the tests' model, -0.807
 * against -0.829). Here, as in TF 1.x's {@code AdagradDAOptimizer}, the n-th run's updates read n:
 * the counter is incremented once, and the updates take the incremented value.
 *
 * <p>The constructors (with their checks), the slots and the counter's name are AdaGradDA's. Its
 * counter counts this optimizer's runs; TF 1.x reads the training's global step instead, which is
 * the same number unless the global step starts elsewhere.
 *
 * <pre>{@code
 * Operation train = TrainOps.minimize(new OrderedAdaGradDA(graph, 0.5f, 0.1f, 0.01f, 0.02f), loss, "train_op");
 * }</pre>
 */
public class OrderedAdaGradDA extends AdaGradDA {
  private final float learningRate;
  private final float l1Strength;
  private final float l2Strength;
  private final float initialAccumulatorValue;
  private Output<TInt64> counter;
  private Operand<TInt64> advanced;

  /** AdaGradDA's defaults: learning rate 0.001, initial accumulator 0.1, no regularization. */
  public OrderedAdaGradDA(Graph graph) {
    this(graph, LEARNING_RATE_DEFAULT, INITIAL_ACCUMULATOR_DEFAULT, L1_STRENGTH_DEFAULT, L2_STRENGTH_DEFAULT);
  }

  public OrderedAdaGradDA(Graph graph, float learningRate) {
    this(graph, learningRate, INITIAL_ACCUMULATOR_DEFAULT, L1_STRENGTH_DEFAULT, L2_STRENGTH_DEFAULT);
  }

  /** @throws IllegalArgumentException as AdaGradDA, for a non-positive accumulator or a negative strength */
  public OrderedAdaGradDA(
      Graph graph, float learningRate, float initialAccumulatorValue, float l1Strength, float l2Strength) {
    super(graph, learningRate, initialAccumulatorValue, l1Strength, l2Strength);
    this.learningRate = learningRate;
    this.initialAccumulatorValue = initialAccumulatorValue;
    this.l1Strength = l1Strength;
    this.l2Strength = l2Strength;
  }

  /** With {@code name} as the name of the optimizer's ops. */
  public OrderedAdaGradDA(Graph graph, String name, float learningRate) {
    this(graph, name, learningRate, INITIAL_ACCUMULATOR_DEFAULT, L1_STRENGTH_DEFAULT, L2_STRENGTH_DEFAULT);
  }

  /** @throws IllegalArgumentException as AdaGradDA, for a non-positive accumulator or a negative strength */
  public OrderedAdaGradDA(Graph graph, String name, float learningRate, float initialAccumulatorValue,
      float l1Strength, float l2Strength) {
    super(graph, name, learningRate, initialAccumulatorValue, l1Strength, l2Strength);
    this.learningRate = learningRate;
    this.initialAccumulatorValue = initialAccumulatorValue;
    this.l1Strength = l1Strength;
    this.l2Strength = l2Strength;
  }

  @Override
  protected void createSlots(List<Output<? extends TType>> variables) {
    super.createSlots(variables);
    counter = FrameworkState.createdVariable(graph, "AdaGradDA", "adagrad-da-global-step");
  }

  @Override
  protected Optional<Op> prepare(String name) {
    // the one increment of the run; the updates read its result, so they wait for it
    AssignAdd<TInt64> increment = tf.assignAdd(counter, tf.constant(1L));
    advanced = increment;
    return Optional.of(increment);
  }

  @Override
  protected <T extends TType> Op applyDense(Ops deps, Output<T> gradient, Output<T> variable) {
    return deps.train.applyAdagradDa(
        variable,
        getSlot(variable, ACCUMULATOR).orElseThrow(),
        getSlot(variable, SQUARED_ACCUMULATOR).orElseThrow(),
        gradient,
        deps.dtypes.cast(deps.constant(learningRate), gradient.type()),
        deps.dtypes.cast(deps.constant(l1Strength), gradient.type()),
        deps.dtypes.cast(deps.constant(l2Strength), gradient.type()),
        advanced,
        ApplyAdagradDa.useLocking(true));
  }

  @Override
  protected Op finish(List<Op> updates, String name) {
    // not AdaGradDA.finish, which would increment the counter a second time
    return FrameworkState.finishAfter(tf, updates, name, after -> List.of());
  }

  @Override
  public String toString() {
    return "OrderedAdaGradDA{learningRate=" + learningRate + ", initialAccumulatorValue=" + initialAccumulatorValue
        + ", l1Strength=" + l1Strength + ", l2Strength=" + l2Strength + '}';
  }
}

package dev.tfmon.schedule;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.summary.Summaries;
import java.util.Arrays;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;

/**
 * A learning rate as a function of the training step, built as graph ops with TF 1.x's formulas
 * ({@code tf.compat.v1.train.exponential_decay} and friends): the rate follows the global step in
 * the same run that applies it, in every worker of a cluster, without feeding anything.
 *
 * <pre>{@code
 * LearningRateSchedule schedule =
 *     LearningRateSchedule.exponentialDecay(0.1, 1000, 0.96, true).withLinearWarmup(500);
 * Operand<TFloat32> lr = schedule.learningRate(graph);   // over the global step, summarized
 * Operation train = TrainOps.minimize(new OrderedAdam(graph), lr, loss, "train_op");
 * }</pre>
 *
 * <p>Rates are float32 scalars computed as TensorFlow computes them (same op order, float32
 * throughout), so they equal Python's values bit for bit.
 */
public interface LearningRateSchedule {

  /**
   * The rate at {@code step} (an integer or float scalar), as ops in {@code step}'s graph.
   *
   * @throws IllegalArgumentException if {@code step} is not a graph tensor
   */
  Operand<TFloat32> rateAt(Operand<? extends TNumber> step);

  /**
   * The rate at the graph's global step (created if missing), with a scalar summary tagged {@code
   * learning_rate} in collection {@code summaries}, so a Scaffold's merged summary (and
   * TensorBoard) shows it. Build it once per graph: two summaries of one tag fail the merged run.
   *
   * @throws IllegalStateException if the graph is finalized
   */
  default Operand<TFloat32> learningRate(Graph graph) {
    Objects.requireNonNull(graph, "graph");
    GraphFinalization.checkNotFinalized(graph, "a learning-rate schedule");
    GlobalStep.getOrCreate(graph);
    Operand<TFloat32> rate = rateAt(GlobalStep.readTensor(graph));
    Summaries.scalar(graph, "learning_rate", rate);
    return rate;
  }

  /**
   * This schedule behind a linear warm-up of {@code warmupSteps} steps, as Google's TF 1.x BERT
   * does it: while {@code step < warmupSteps} the rate is {@code peak * step / warmupSteps}, where
   * {@code peak} is this schedule's rate at step 0; from then on it is this schedule's rate at the
   * same step (the decay is not delayed).
   *
   * @throws IllegalArgumentException if {@code warmupSteps} is not positive
   */
  default LearningRateSchedule withLinearWarmup(long warmupSteps) {
    return new LinearWarmup(this, warmupSteps);
  }

  /** The same rate at every step. */
  static LearningRateSchedule constant(double rate) {
    return new ConstantRate(rate);
  }

  /**
   * {@code rate * decayRate ^ (step / decaySteps)}, the exponent floored when {@code staircase}
   * ({@code tf.compat.v1.train.exponential_decay}).
   */
  static LearningRateSchedule exponentialDecay(
      double rate, long decaySteps, double decayRate, boolean staircase) {
    return new ExponentialDecay(rate, decaySteps, decayRate, staircase);
  }

  /**
   * {@code values[0]} while {@code step <= boundaries[0]}, {@code values[i]} while {@code
   * boundaries[i-1] < step <= boundaries[i]}, the last value after the last boundary ({@code
   * tf.compat.v1.train.piecewise_constant}).
   */
  static LearningRateSchedule piecewiseConstant(long[] boundaries, double[] values) {
    return new PiecewiseConstant(
        Arrays.stream(boundaries).boxed().toList(),
        Arrays.stream(values).boxed().toList());
  }

  /**
   * From {@code rate} to {@code endRate} in {@code decaySteps} steps along {@code (1 -
   * step/decaySteps) ^ power}, then {@code endRate}; with {@code cycle} the decay restarts over the
   * next multiple of {@code decaySteps} instead ({@code tf.compat.v1.train.polynomial_decay}).
   */
  static LearningRateSchedule polynomialDecay(
      double rate, long decaySteps, double endRate, double power, boolean cycle) {
    return new PolynomialDecay(rate, decaySteps, endRate, power, cycle);
  }

  /**
   * {@code rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decaySteps) / decaySteps)) +
   * alpha)} ({@code tf.compat.v1.train.cosine_decay}).
   */
  static LearningRateSchedule cosineDecay(double rate, long decaySteps, double alpha) {
    return new CosineDecay(rate, decaySteps, alpha);
  }

  /**
   * Cosine decay restarted after {@code firstDecaySteps}, each period {@code tMul} times longer and
   * starting {@code mMul} times lower (SGDR; {@code tf.compat.v1.train.cosine_decay_restarts},
   * whose defaults are tMul 2, mMul 1, alpha 0).
   */
  static LearningRateSchedule cosineDecayRestarts(
      double rate, long firstDecaySteps, double tMul, double mMul, double alpha) {
    return new CosineDecayRestarts(rate, firstDecaySteps, tMul, mMul, alpha);
  }

  /**
   * {@code rate / (1 + decayRate * step / decaySteps)}, the quotient floored when {@code staircase}
   * ({@code tf.compat.v1.train.inverse_time_decay}).
   */
  static LearningRateSchedule inverseTimeDecay(
      double rate, long decaySteps, double decayRate, boolean staircase) {
    return new InverseTimeDecay(rate, decaySteps, decayRate, staircase);
  }

  /**
   * {@code rate * exp(-decayRate) ^ (step / decaySteps)}, the exponent floored when {@code
   * staircase} ({@code tf.compat.v1.train.natural_exp_decay}).
   */
  static LearningRateSchedule naturalExpDecay(
      double rate, long decaySteps, double decayRate, boolean staircase) {
    return new NaturalExpDecay(rate, decaySteps, decayRate, staircase);
  }
}

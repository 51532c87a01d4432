package dev.tfmon.testing;

import org.tensorflow.Graph;
import org.tensorflow.framework.optimizers.AdaDelta;
import org.tensorflow.framework.optimizers.AdaGrad;
import org.tensorflow.framework.optimizers.AdaGradDA;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.framework.optimizers.Adamax;
import org.tensorflow.framework.optimizers.Ftrl;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Momentum;
import org.tensorflow.framework.optimizers.Nadam;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.framework.optimizers.Optimizers;
import org.tensorflow.framework.optimizers.RMSProp;

/**
 * Every optimizer tensorflow-framework ships (its {@link Optimizers} enum), with learning rates
 * that make the small regression models of the tests converge within a few dozen steps. The
 * switch has no default: a new optimizer in a new TF Java release fails the build here until a
 * test covers it.
 */
public final class FrameworkOptimizers {
  private FrameworkOptimizers() {}

  /** A new optimizer of {@code kind} on {@code graph}. */
  public static Optimizer create(Optimizers kind, Graph graph) {
    return switch (kind) {
      case GRADIENT_DESCENT -> new GradientDescent(graph, 0.1f);
      case MOMENTUM -> new Momentum(graph, 0.05f, 0.9f, false);
      case ADAM -> new Adam(graph, 0.1f);
      case ADAMAX -> new Adamax(graph, 0.1f);
      case NADAM -> new Nadam(graph, 0.1f);
      case ADAGRAD -> new AdaGrad(graph, 0.5f);
      case ADAGRAD_DA -> new AdaGradDA(graph, 0.5f);
      // a large epsilon: with the default 1e-7 the first hundred steps barely move
      case ADADELTA -> new AdaDelta(graph, 1.0f, 0.95f, 1e-2f);
      case RMSPROP -> new RMSProp(graph, 0.05f);
      case FTRL -> new Ftrl(graph, 0.5f);
    };
  }
}

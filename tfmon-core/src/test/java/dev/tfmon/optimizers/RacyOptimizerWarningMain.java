package dev.tfmon.optimizers;

import dev.tfmon.graph.TrainOps;
import dev.tfmon.testing.ChildJvm;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.framework.optimizers.Adamax;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Hands {@code TrainOps.minimize} the framework's Adam twice, its Adamax, an {@link OrderedAdam}
 * and a GradientDescent, each in a graph of its own, in a fresh JVM; prints {@code DONE}. The
 * warnings {@code OrderedOptimizersTest} expects: one for Adam, one for Adamax.
 */
public final class RacyOptimizerWarningMain {
  private RacyOptimizerWarningMain() {}

  public static void main(String[] args) {
    ChildJvm.exitWhenParentDies();
    for (Function<Graph, Optimizer> make : java.util.List.<Function<Graph, Optimizer>>of(
        g -> new Adam(g, 0.1f), g -> new Adam(g, 0.2f), g -> new Adamax(g, 0.1f), g -> new OrderedAdam(g, 0.1f),
        g -> new GradientDescent(g, 0.1f))) {
      try (Graph g = new Graph()) {
        Ops tf = Ops.create(g);
        var w = tf.withName("w").variable(tf.constant(new float[] {1f}));
        Operand<TFloat32> loss = tf.sum(tf.math.mul(w, tf.constant(new float[] {2f})), tf.constant(0));
        TrainOps.minimize(make.apply(g), loss, "train_op");
      }
    }
    System.out.println("DONE");
    System.out.flush();
    System.exit(0);
  }
}

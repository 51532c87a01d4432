package dev.tfmon.cli;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.NoOp;
import org.tensorflow.types.TFloat32;

/**
 * tensorflow-framework's Adam with its two bias-correction updates ({@code beta1_power *= beta1},
 * {@code beta2_power *= beta2}) ordered after the variable updates, as Python's Adam orders them.
 * TF Java's Adam runs them in parallel with the {@code ApplyAdam} ops that read those powers, so
 * each step reads the old or the new power depending on thread scheduling: the same seed gave
 * different losses from one run to the next.
 *
 * <pre>{@code
 * Operation train = TrainOps.minimize(new OrderedAdam(graph, 0.01f), loss, "train_op");
 * }</pre>
 */
final class OrderedAdam extends Adam {
  private final float learningRate;

  OrderedAdam(Graph graph, float learningRate) {
    super(graph, learningRate);
    this.learningRate = learningRate;
  }

  @Override
  protected Op finish(List<Op> updates, String name) {
    // Adam.finish would add the power updates beside the variable updates; these wait for them.
    Ops after = tf.withControlDependencies(updates);
    List<Op> all = new ArrayList<>(updates);
    all.add(scale(after, "beta1_power", BETA_ONE_DEFAULT));
    all.add(scale(after, "beta2_power", BETA_TWO_DEFAULT));
    return NoOp.create(tf.withName(name).withControlDependencies(all).scope());
  }

  private Op scale(Ops tf, String variable, float factor) {
    GraphOperation power = graph.operation(variable);
    if (power == null) {
      throw new IllegalStateException("Adam created no variable '" + variable + "'");
    }
    Operand<TFloat32> ref = power.<TFloat32>output(0);
    return tf.assign(ref, tf.math.mul(ref, tf.constant(factor)));
  }

  @Override
  public String toString() {
    return "Adam(learning rate " + learningRate + ", updates ordered)";
  }
}

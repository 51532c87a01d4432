package dev.tfmon.metrics;

import dev.tfmon.graph.TrainOps;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The smallest real training graph: a float variable {@code w} pulled towards 3 by gradient
 * descent on {@code loss = (w - 3)^2}; {@code train_op} also adds one to the global step.
 */
record Model(Operand<TFloat32> loss, Operation trainOp) {
  static Model build(Graph g) {
    Ops tf = Ops.create(g);
    var w = tf.withName("w").variable(tf.constant(0f));
    Operand<TFloat32> loss = tf.withName("loss").math.square(tf.math.sub(w, tf.constant(3f)));
    Operation train = TrainOps.minimize(new GradientDescent(g, 0.01f), loss, "train_op");
    return new Model(loss, train);
  }
}

package example;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.LoggingTensorHook;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Fits y = 3x + 2 with checkpoints in runs/mine; run it again and it goes on from there. */
public class Train {
  public static void main(String[] args) {
    Path dir = Path.of("runs/mine");
    // README: training-loop begin
    try (Graph graph = new Graph()) {
      Operation train = buildModel(graph);   // your ops, ending in TrainOps.minimize(optimizer, loss, "train_op")
      try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
              .checkpointDir(dir)                           // restore the newest checkpoint, or initialize
              .saveCheckpointSteps(500)                     // plus summaries and steps/sec every 100 steps
              .hook(StopAtStepHook.numSteps(1_000))         // 1000 more steps in each run
              .hook(LoggingTensorHook.builder().tensor("loss", "loss").everyNIter(250).build())
              .build()) {
        session.runUntilStopped(s -> s.run(train));         // the end of a tf.data input ends it cleanly
      }
    }
    // README: training-loop end
    String checkpoint = Checkpoints.latestCheckpoint(dir).orElseThrow();
    try (CheckpointReader reader = CheckpointReader.open(checkpoint);
         TFloat32 w = (TFloat32) reader.read("w");
         TFloat32 b = (TFloat32) reader.read("b")) {
      System.out.printf("%s: w = %.3f, b = %.3f%n", checkpoint, w.getFloat(), b.getFloat());
    }
  }

  /** y = 3x + 2 on 64 points of [-1, 1], a linear model, gradient descent on the mean squared error. */
  static Operation buildModel(Graph graph) {
    Ops tf = Ops.create(graph);
    float[] xs = new float[64];
    float[] ys = new float[64];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = -1f + 2f * i / (xs.length - 1);
      ys[i] = 3f * xs[i] + 2f;
    }
    Operand<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
    Operand<TFloat32> b = tf.withName("b").variable(tf.constant(0f));
    Operand<TFloat32> error = tf.math.sub(tf.math.add(tf.math.mul(tf.constant(xs), w), b), tf.constant(ys));
    Operand<TFloat32> loss = tf.withName("loss").math.mean(tf.math.square(error), tf.constant(0));
    return TrainOps.minimize(new GradientDescent(graph, 0.1f), loss, "train_op");
  }
}

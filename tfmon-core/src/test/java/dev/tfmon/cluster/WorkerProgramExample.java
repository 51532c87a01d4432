package dev.tfmon.cluster;

import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.testing.ChildJvm;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The worker program of {@code cluster/package-info.java}, compiled and run: the code between the
 * {@code README:} markers is the package documentation's example, line for line ({@code
 * ReadmeExamplesTest} checks it). Run with {@code TF_CONFIG} set and the model directory as the
 * argument; prints {@code DONE} at the end.
 */
public final class WorkerProgramExample {
  private WorkerProgramExample() {}

  public static void main(String[] args) {
    ChildJvm.exitWhenParentDies();
    Path dir = Path.of(args[0]);
    // README: cluster-worker begin
    TfConfig me = TfConfig.fromEnvironment().orElseThrow(() -> new IllegalStateException("TF_CONFIG is not set"));
    TaskServer server = TaskServer.start(me.cluster(), me.taskType(), me.taskIndex());
    ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(me.cluster());
    try (Graph g = new Graph()) {
      placement.globalStep(g);                                      // on /job:ps/task:0
      Ops tf = placement.workerOps(Ops.create(g), me.taskIndex());  // computation on this worker
      Variable<TFloat32> w = placement.variableOps(tf).withName("w").variable(tf.constant(0f)); // next ps task
      Operand<TFloat32> loss = tf.withName("loss").math.square(tf.math.sub(w, tf.constant(3f)));
      Operation train = TrainOps.minimize(new GradientDescent(g, 0.1f), loss, "train_op");
      try (MonitoredSession session = MonitoredTrainingSession.builder(g)
              .master(server.target()).isChief(me.isChief())       // the chief initializes or restores
              .config(placement.sessionConfig(me.taskIndex()))     // talk to the ps tasks and this worker only
              .checkpointDir(dir)                                  // the chief's checkpoints and summaries
              .hook(StopAtStepHook.lastStep(100))
              .build()) {
        session.runUntilStopped(s -> s.run(train));
      }
    }
    // README: cluster-worker end
    System.out.println("DONE " + me.taskType() + " " + me.taskIndex());
    System.out.flush();
    System.exit(0);   // the task's gRPC server cannot be stopped
  }
}

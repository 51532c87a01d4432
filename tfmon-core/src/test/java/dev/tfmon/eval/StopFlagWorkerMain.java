package dev.tfmon.eval;

import dev.tfmon.cluster.ClusterSpec;
import dev.tfmon.cluster.ReplicaDeviceSetter;
import dev.tfmon.cluster.TaskServer;
import dev.tfmon.cluster.TaskServerMain;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.schedule.LearningRateSchedule;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.testing.ChildJvm;
import java.time.Duration;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A worker of a between-graph replicated cluster whose chief stops early (issue 12): {@code y = w
 * x + b} fitted to {@code y = 2x + 1} with weights, global step and the {@link StopFlag} on the ps
 * task; the learning rate drops to 0 after global step 30, so the training loss plateaus. The
 * chief watches the loss every 10 steps (patience 3) and sets the flag when it stops; every worker
 * runs a {@link StopFlagHook}. Without the flag, a worker would train to {@code --last-step}.
 *
 * <p>Prints {@code READY ...}, then {@code DONE step=s by_flag=true|false early=<decision or
 * none>}. Arguments: {@code --cluster SPEC --task I --last-step N}.
 */
public final class StopFlagWorkerMain {
  private StopFlagWorkerMain() {}

  public static void main(String[] args) {
    ChildJvm.exitWhenParentDies();
    ClusterSpec spec = ClusterSpec.parse(args[1]);
    int task = Integer.parseInt(args[3]);
    long lastStep = Long.parseLong(args[5]);
    boolean chief = task == 0;
    TaskServer server = TaskServer.start(spec, "worker", task);
    TaskServerMain.printReady(System.out, server);
    try (Graph g = new Graph()) {
      ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
      placement.globalStep(g);
      StopFlag flag = StopFlag.create(g, placement.nextVariableDevice());
      Ops tf = placement.workerOps(Ops.create(g), task);
      var w = placement.variableOps(tf).withName("w").variable(tf.constant(0f));
      var b = placement.variableOps(tf).withName("b").variable(tf.constant(0f));
      float[] xs = {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f, 2f, 2.5f};
      float[] ys = new float[xs.length];
      for (int i = 0; i < xs.length; i++) {
        ys[i] = 2f * xs[i] + 1f;
      }
      Operand<TFloat32> loss = tf.withName("loss").math.mean(
          tf.math.square(tf.math.sub(tf.math.add(tf.math.mul(tf.constant(xs), w), b), tf.constant(ys))), tf.constant(0));
      Operand<TFloat32> lr = LearningRateSchedule.piecewiseConstant(new long[] {30}, new double[] {0.02, 0.0}).learningRate(g);
      Operation train = TrainOps.minimize(new GradientDescent(g, 0.02f), lr, loss, "train_op");
      var globalStep = GlobalStep.readTensor(g);

      StopFlagHook flagHook = new StopFlagHook(flag);
      EarlyStoppingHook earlyStop = EarlyStoppingHook.builder(MetricGoal.min("loss"))
          .patience(3).trainingMetric(loss, 10).stopFlag(flag).build();
      MonitoredTrainingSession.Builder mts = MonitoredTrainingSession.builder(g)
          .master(server.target())
          .isChief(chief)
          .config(placement.sessionConfig(task))
          .recoveryWait(Duration.ofMillis(200))
          .hook(StopAtStepHook.lastStep(lastStep))
          .hook(flagHook);
      if (chief) {
        mts.chiefOnlyHook(earlyStop);
      }
      long step;
      try (MonitoredSession session = mts.build()) {
        session.runUntilStopped(s -> s.run(train));
        try (RunResult r = session.runWithoutHooks(SessionRunArgs.fetch(globalStep))) {
          step = r.getLong(globalStep);
        }
      }
      System.out.println("DONE step=" + step + " by_flag=" + flagHook.stoppedByFlag()
          + " early=" + earlyStop.decision().map(Object::toString).orElse("none"));
      System.out.flush();
    } catch (RuntimeException e) {
      System.out.println("FAILED " + e);
      System.out.flush();
      System.exit(1);
    }
    System.exit(0);
  }
}

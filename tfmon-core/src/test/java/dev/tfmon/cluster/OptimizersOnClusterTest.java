package dev.tfmon.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.testing.FrameworkOptimizers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.Optimizers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Every optimizer of tensorflow-framework trains one shared model on 1 ps + 2 workers (issue 14
 * item 1): the loss falls on both workers, every variable (slots and shared optimizer state
 * included) runs on the ps task for both workers, and the chief's checkpoint shows state that both
 * workers' steps advanced. One cluster serves every optimizer: each builds its model under its own
 * variable names, and the chief's init op resets the names they share (global_step, beta powers).
 * The two workers' clients are graphs of this JVM, each with a session on its own worker task.
 */
@Tag("multiprocess")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OptimizersOnClusterTest {
  private static final int ROUNDS = 40;
  private static final String PS_DEVICE = "/job:ps/replica:0/task:0/device:CPU:0";

  private LocalCluster cluster;

  @BeforeAll
  void startCluster() {
    cluster = LocalCluster.builder().ps(1).workers(2).startTimeout(Duration.ofSeconds(90)).start();
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** One worker's copy of the model: y = 3x + 2, variables on the ps, the rest on this worker. */
  private record Worker(Graph graph, Operand<TFloat32> loss, Operation train, List<String> variables) {
    static Worker build(ClusterSpec spec, int task, Optimizers kind) {
      Graph g = new Graph();
      ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
      placement.globalStep(g);
      Ops tf = placement.workerOps(Ops.create(g), task);
      float[] xs = new float[32];
      float[] ys = new float[32];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = -1f + 2f * i / (xs.length - 1);
        ys[i] = 3f * xs[i] + 2f;
      }
      String prefix = kind.name().toLowerCase() + "_";
      var w = placement.variableOps(tf).withName(prefix + "w").variable(tf.constant(new float[] {0f}));
      var b = placement.variableOps(tf).withName(prefix + "b").variable(tf.constant(new float[] {0f}));
      var prediction = tf.math.add(tf.math.mul(tf.constant(xs), w), b);
      Operand<TFloat32> loss =
          tf.withName("loss").math.mean(tf.math.square(tf.math.sub(prediction, tf.constant(ys))), tf.constant(0));
      Operation train = TrainOps.minimize(FrameworkOptimizers.create(kind, g), loss, "train_op");
      List<String> variables = new ArrayList<>();
      for (Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (op.type().equals("VariableV2")) {
          variables.add(op.name());
        }
      }
      return new Worker(g, loss, train, variables);
    }

    float step(MonitoredSession session) {
      try (RunResult r = session.run(SessionRunArgs.builder().fetch(loss).target(train).build())) {
        return ((TFloat32) r.get(0)).getFloat();
      }
    }

    /** One traced step that also reads every variable: the device each variable node ran on. */
    Map<String, String> tracedVariableDevices(MonitoredSession session) {
      SessionRunArgs.Builder args =
          SessionRunArgs.builder()
              .target(train)
              .options(RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build())
              .withMetadata();
      variables.forEach(v -> args.fetch(graph.operation(v).output(0)));
      Map<String, String> devices = new TreeMap<>();
      try (RunResult r = session.run(args.build())) {
        for (DeviceStepStats d : r.metadata().orElseThrow().getStepStats().getDevStatsList()) {
          for (NodeExecStats n : d.getNodeStatsList()) {
            if (variables.contains(n.getNodeName())) {
              String previous = devices.put(n.getNodeName(), d.getDevice());
              assertThat(previous).as("%s ran on two devices", n.getNodeName()).isIn(null, d.getDevice());
            }
          }
        }
      }
      return devices;
    }
  }

  // issue 14 item 1
  @ParameterizedTest
  @EnumSource(Optimizers.class)
  void everyOptimizerTrainsOneSharedModelOnTheParameterServer(Optimizers kind, @TempDir Path modelDir) {
    ClusterSpec spec = cluster.spec();
    Worker chiefModel = Worker.build(spec, 0, kind);
    Worker otherModel = Worker.build(spec, 1, kind);
    ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
    List<Float> chiefLosses = new ArrayList<>();
    List<Float> otherLosses = new ArrayList<>();
    Map<String, String> chiefDevices;
    Map<String, String> otherDevices;
    try (Graph g0 = chiefModel.graph();
        Graph g1 = otherModel.graph()) {
      MonitoredSession chief =
          MonitoredTrainingSession.builder(g0)
              .master(cluster.target("worker", 0))
              .isChief(true)
              .config(placement.sessionConfig(0))
              .checkpointDir(modelDir)
              .saveSummariesSteps(0)
              .logStepCountSteps(0)
              .build();
      try (chief;
          MonitoredSession other =
              MonitoredTrainingSession.builder(g1)
                  .master(cluster.target("worker", 1))
                  .isChief(false)
                  .config(placement.sessionConfig(1))
                  .maxWait(Duration.ofSeconds(60))
                  .recoveryWait(Duration.ofMillis(200))
                  .build()) {
        for (int i = 0; i < ROUNDS; i++) {
          chiefLosses.add(chiefModel.step(chief));
          otherLosses.add(otherModel.step(other));
        }
        chiefDevices = chiefModel.tracedVariableDevices(chief);
        otherDevices = otherModel.tracedVariableDevices(other);
      }
    }

    assertThat(chiefLosses.get(ROUNDS - 1)).as("%s chief losses %s", kind, chiefLosses).isLessThan(chiefLosses.get(0) / 2);
    assertThat(otherLosses.get(ROUNDS - 1)).as("%s worker losses %s", kind, otherLosses).isLessThan(otherLosses.get(0) / 2);
    // one copy of each variable: both workers use the same one, on the ps task
    assertThat(chiefDevices.keySet()).containsExactlyInAnyOrderElementsOf(chiefModel.variables());
    assertThat(chiefDevices).as("%s placement", kind).allSatisfy((v, device) -> assertThat(device).isEqualTo(PS_DEVICE));
    assertThat(otherDevices).isEqualTo(chiefDevices);

    String checkpoint = Checkpoints.latestCheckpoint(modelDir).orElseThrow();
    try (CheckpointReader reader = CheckpointReader.open(checkpoint)) {
      assertThat(reader.variables().keySet()).containsExactlyInAnyOrderElementsOf(chiefModel.variables());
      long globalStep;
      try (TInt64 step = (TInt64) reader.read("global_step")) {
        globalStep = step.getLong();
      }
      // both workers' steps, and the two traced ones
      assertThat(globalStep).isEqualTo(2L * ROUNDS + 2);
      if (kind == Optimizers.ADAM || kind == Optimizers.ADAMAX) {
        // the power of beta1 counts the steps of both workers: one shared copy, not one each
        try (TFloat32 power = (TFloat32) reader.read("beta1_power")) {
          assertThat((double) power.getFloat()).isCloseTo(Math.pow(0.9, globalStep + 1), org.assertj.core.data.Percentage.withPercentage(0.1));
        }
      }
    }
  }
}

package dev.tfmon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** The graph SyncReplicas builds, its checks, and one replica in one process (issue 14 item 2). */
class SyncReplicasGraphTest {

  private static Operand<TFloat32> loss(Ops tf) {
    var w = tf.withName("w").variable(tf.constant(new float[] {0f}));
    return tf.math.mean(tf.math.square(tf.math.sub(w, tf.constant(new float[] {3f}))), tf.constant(0));
  }

  // issue 14 item 2
  @Test
  void badSettingsAreNamed() {
    try (Graph g = new Graph()) {
      GradientDescent gd = new GradientDescent(g, 0.1f);
      assertThatThrownBy(() -> SyncReplicas.wrap(gd, 0, 2))
          .hasMessage("replicasToAggregate must be at least 1, but got 0");
      assertThatThrownBy(() -> SyncReplicas.wrap(gd, 2, -1))
          .hasMessage("totalReplicas must be at least 1, but got -1");
      assertThatThrownBy(() -> SyncReplicas.builder(gd).name("a/b").build())
          .hasMessage("name must be an op name without '/', but got \"a/b\"");
      SyncReplicas fewerWorkers = SyncReplicas.wrap(gd, 4, 2);
      assertThat(fewerWorkers.tokensPerStep()).isEqualTo(4);
      assertThatThrownBy(() -> fewerWorkers.hook(true, 1))
          .hasMessage("numTokens 1 is too few to finish the first step: 4 gradients to aggregate from 2 replicas need at least 2");
      assertThatThrownBy(() -> SyncReplicas.wrap(gd, 2, 2).hook(true, -1))
          .hasMessageStartingWith("numTokens -1 is too few");
    }
  }

  // issue 14 item 2
  @Test
  void theHookNeedsTheTrainOpAndOneMinimizePerWrapper() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> loss = loss(tf);
      SyncReplicas sync = SyncReplicas.wrap(new GradientDescent(g, 0.1f), 1, 1);
      var hook = sync.hook(true);
      assertThatThrownBy(() -> hook.begin(new BeginContext(g)))
          .hasMessage("SyncReplicas 'sync_replicas': call minimize(loss, ...) before the session begins");
      Operation train = sync.minimize(loss, "train_op");
      assertThatThrownBy(() -> sync.minimize(loss, "again"))
          .hasMessage("SyncReplicas 'sync_replicas' already built its train op 'train_op'");
      assertThat(GraphCollections.of(g).get(CollectionKeys.TRAIN_OP)).containsExactly(train);
      // the local step is a local variable: initialized by the local init op, never saved
      List<String> local = new ArrayList<>();
      GraphCollections.of(g).variables(CollectionKeys.LOCAL_VARIABLES).forEach(v -> local.add(v.name()));
      assertThat(local).containsExactly("sync_replicas/local_step");
    }
  }

  // issue 14 item 2: where each piece lives, as TF 1.x places them
  @Test
  void accumulatorsBesideTheirVariablesTokensBesideTheStepLocalStepOnTheWorker() {
    ClusterSpec spec = ClusterSpec.parse("ps=127.0.0.1:1,127.0.0.1:2;worker=127.0.0.1:3,127.0.0.1:4");
    try (Graph g = new Graph()) {
      ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
      GraphVariable step = placement.globalStep(g);
      Ops tf = placement.workerOps(Ops.create(g), 1);
      var w = placement.variableOps(tf).withName("w").variable(tf.constant(new float[] {0f}));
      var b = placement.variableOps(tf).withName("b").variable(tf.constant(new float[] {0f}));
      var loss = tf.math.mean(tf.math.square(tf.math.sub(tf.math.add(w, b), tf.constant(new float[] {3f}))), tf.constant(0));
      SyncReplicas.wrap(new GradientDescent(g, 0.1f), 2, 2).minimize(loss, "train_op");

      assertThat(device(g, "global_step")).isEqualTo("/job:ps/task:0");
      assertThat(device(g, "w")).isEqualTo("/job:ps/task:1");
      assertThat(device(g, "b")).isEqualTo("/job:ps/task:0");
      assertThat(device(g, "sync_replicas/w/grad_accum")).isEqualTo("/job:ps/task:1");
      assertThat(device(g, "sync_replicas/b/grad_accum")).isEqualTo("/job:ps/task:0");
      assertThat(device(g, "sync_replicas/w/take_grad")).isEqualTo("/job:ps/task:1");
      assertThat(device(g, "sync_replicas/token_queue")).isEqualTo(device(g, step.name()));
      assertThat(device(g, "sync_replicas/sync_op")).isEqualTo("/job:ps/task:0");
      assertThat(device(g, "sync_replicas/local_step")).isEqualTo("/job:worker/task:1");
      assertThat(device(g, "train_op")).isEqualTo("/job:worker/task:1");
      assertThat(g.operation("sync_replicas/w/grad_accum").attributes().getAttrString("shared_name"))
          .isEqualTo("sync_replicas/w/grad_accum");
    }
  }

  private static String device(Graph g, String op) {
    GraphOperation o = g.operation(op);
    assertThat(o).as(op).isNotNull();
    return o.device();
  }

  // issue 14 item 2: one replica in one process: every step applies its own gradient. At the
  // close the queue runner waits on the accumulator; the close cancels it instead of hanging (the
  // timeout is far below the 120 s grace period the threads of the session's coordinator get).
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void oneReplicaInOneProcessTrainsAndEndsWithoutWaitingForItsQueueRunner() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> loss = loss(tf);
      SyncReplicas sync = SyncReplicas.wrap(new GradientDescent(g, 0.1f), 1, 1);
      Operation train = sync.minimize(loss, "train_op");
      var step = GlobalStep.readTensor(g);
      List<Float> losses = new ArrayList<>();
      MonitoredSession s =
          MonitoredTrainingSession.builder(g)
              .hook(sync.hook(true, 0))
              .saveSummariesSteps(0)
              .logStepCountSteps(0)
              .build();
      try (s) {
        for (int i = 0; i < 20; i++) {
          try (RunResult r = s.run(SessionRunArgs.builder().fetch(loss).target(train).build())) {
            losses.add(r.getFloat(loss));
          }
        }
        try (RunResult r = s.run(SessionRunArgs.fetch(step, sync.localStep()))) {
          assertThat(r.getLong(step)).isEqualTo(20);
          assertThat(r.getLong(sync.localStep())).isEqualTo(20);
        }
      }
      assertThat(losses.get(19)).isLessThan(losses.get(0) / 10);
    }
  }
}

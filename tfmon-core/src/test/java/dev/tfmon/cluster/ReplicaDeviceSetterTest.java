package dev.tfmon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphVariable;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;

class ReplicaDeviceSetterTest {
  private static final ClusterSpec SPEC =
      ClusterSpec.parse("ps=h:1,h:2;worker=h:3,h:4,h:5");

  @Test
  void variablesGoRoundRobinOverThePsTasksAndComputeStaysOnTheWorker() {
    try (Graph g = new Graph()) {
      ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(SPEC);
      GraphVariable step = placement.globalStep(g);
      Ops tf = placement.workerOps(Ops.create(g), 2);
      var w = placement.variableOps(tf).withName("w").variable(tf.constant(new float[] {1f}));
      var b = placement.variableOps(tf).withName("b").variable(tf.constant(new float[] {2f}));
      var sum = tf.withName("sum").math.add(w, b);

      assertThat(device(g, "global_step")).isEqualTo("/job:ps/task:0");
      assertThat(device(g, w.op().name())).isEqualTo("/job:ps/task:1");
      assertThat(device(g, b.op().name())).isEqualTo("/job:ps/task:0");
      assertThat(device(g, sum.op().name())).isEqualTo("/job:worker/task:2");
      // the same global step on a second call: no new slot is taken
      assertThat(placement.globalStep(g)).isEqualTo(step);
      assertThat(placement.nextVariableDevice().toString()).isEqualTo("/job:ps/task:1");
      assertThat(GlobalStep.get(g)).contains(step);
    }
  }

  @Test
  void sessionConfigFiltersDevicesToThePsTasksAndThisWorker() {
    ConfigProto config = ReplicaDeviceSetter.forCluster(SPEC).sessionConfig(1);
    assertThat(config.getDeviceFiltersList()).containsExactly("/job:ps", "/job:worker/task:1");
  }

  @Test
  void otherJobNamesAndBadTasksAreNamed() {
    ClusterSpec custom = ClusterSpec.parse("params=h:1;trainer=h:2");
    ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(custom, "params", "trainer");
    assertThat(placement.numPsTasks()).isEqualTo(1);
    assertThat(placement.psDevice(0).toString()).isEqualTo("/job:params/task:0");
    assertThat(placement.workerDevice(0).toString()).isEqualTo("/job:trainer/task:0");
    assertThatThrownBy(() -> ReplicaDeviceSetter.forCluster(custom))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no parameter server job \"ps\" in the cluster; jobs are [params, trainer]");
    assertThatThrownBy(() -> ReplicaDeviceSetter.forCluster(ClusterSpec.parse("ps=h:1")))
        .hasMessage("no worker job \"worker\" in the cluster; jobs are [ps]");
    assertThatThrownBy(() -> placement.psDevice(1))
        .hasMessage("expected a params task in 0..0, but got 1");
    assertThatThrownBy(() -> placement.workerDevice(-1))
        .hasMessage("expected a non-negative worker task, but got -1");
  }

  private static String device(Graph g, String name) {
    GraphOperation op = g.operation(name);
    assertThat(op).as(name).isNotNull();
    return op.device();
  }
}

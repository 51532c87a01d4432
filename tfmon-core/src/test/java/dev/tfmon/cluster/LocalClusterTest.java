package dev.tfmon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.UnavailableException;
import dev.tfmon.process.ChildProcess;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.testing.ListeningSockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/** {@link LocalCluster} and {@link TaskServerMain} with real TensorFlow servers in child JVMs. */
@Tag("multiprocess")
class LocalClusterTest {
  private static final Duration START = Duration.ofSeconds(60);

  @Test
  void serversOnLoopbackRunAGraphPlacedByTheReplicaDeviceSetter() throws Exception {
    List<Process> processes = new ArrayList<>();
    try (LocalCluster cluster = LocalCluster.builder().ps(2).workers(1).startTimeout(START).start();
        Graph g = new Graph()) {
      ClusterSpec spec = cluster.spec();
      assertThat(spec.jobNames()).containsExactly("ps", "worker");
      Set<String> addresses = new HashSet<>(spec.addresses("ps"));
      addresses.addAll(spec.addresses("worker"));
      assertThat(addresses).hasSize(3).allMatch(a -> a.startsWith("127.0.0.1:"));
      for (String job : List.of("ps", "worker")) {
        for (int t = 0; t < spec.numTasks(job); t++) {
          ChildProcess task = cluster.task(job, t);
          processes.add(task.process());
          assertThat(task.transcript())
              .contains("READY " + cluster.target(job, t) + " /job:" + job + "/task:" + t);
        }
      }

      ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
      Ops tf = placement.workerOps(Ops.create(g), 0);
      var a = placement.variableOps(tf).withName("a").variable(tf.constant(2f));
      var b = placement.variableOps(tf).withName("b").variable(tf.constant(3f));
      var product = tf.withName("product").math.mul(a, b);
      RunOptions trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
      try (NativeSession session =
          NativeSession.open(g, cluster.target("worker", 0), placement.sessionConfig(0))) {
        session.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        try (RunResult r = session.runner().fetch(product).options(trace).withMetadata().run()) {
          assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(6f);
          List<DeviceStepStats> devices = r.metadata().orElseThrow().getStepStats().getDevStatsList();
          assertThat(nodeDevice(devices, "a")).startsWith("/job:ps/replica:0/task:0/");
          assertThat(nodeDevice(devices, "b")).startsWith("/job:ps/replica:0/task:1/");
          assertThat(nodeDevice(devices, "product")).startsWith("/job:worker/replica:0/task:0/");
        }

        // a killed ps task is UNAVAILABLE to the session; restarted, it serves on the same port
        long oldPid = cluster.task("ps", 1).process().pid();
        cluster.kill("ps", 1);
        assertThat(cluster.task("ps", 1).isAlive()).isFalse();
        assertThatThrownBy(() -> session.runner().fetch(product).run().close())
            .isInstanceOf(UnavailableException.class);
        ChildProcess again = cluster.restart("ps", 1);
        processes.add(again.process());
        assertThat(again.process().pid()).isNotEqualTo(oldPid);
        assertThat(again.transcript()).contains("READY " + cluster.target("ps", 1) + " /job:ps/task:1");
      }
      assertThatThrownBy(() -> cluster.launch("worker", 0))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("/job:worker/task:0 (pid ")
          .hasMessageEndingWith(") is running already; kill it first");
      cluster.close();
      assertThat(processes).noneMatch(Process::isAlive);
      assertThatThrownBy(() -> cluster.launch("ps", 0)).hasMessage("this LocalCluster is closed");
      cluster.close(); // twice is fine
    }
  }

  @Test
  void taskProcessesAreNamedWhenNotStartedOrNotReady() {
    try (LocalCluster cluster =
        LocalCluster.builder()
            .ps(1)
            .workers(0)
            .command(
                (spec, job, task) ->
                    ChildProcess.javaCommand(
                        List.of(), TaskServerMain.class.getName(), List.of("--job", "ps")))
            .startTimeout(START)
            .reserve()) {
      assertThat(cluster.spec().jobNames()).containsExactly("ps");
      assertThatThrownBy(() -> cluster.task("ps", 0))
          .hasMessage("/job:ps/task:0 was never started");
      assertThatThrownBy(() -> cluster.task("worker", 0))
          .hasMessage("no job \"worker\" in the cluster; jobs are [ps]");
      // no --cluster and no TF_CONFIG: the task exits with its usage instead of serving
      assertThatThrownBy(() -> cluster.start("ps", 0))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("/job:ps/task:0 ended its output before a line starting with \"READY \"")
          .hasMessageContaining("TaskServerMain: no --cluster given and TF_CONFIG is not set")
          .hasMessageContaining(TaskServerMain.USAGE);
    }
    assertThatThrownBy(() -> LocalCluster.builder().ps(0).workers(0).reserve())
        .hasMessage("expected at least one task, but got 0 ps and 0 workers");
    // settings are checked when the cluster is built, naming the value
    assertThatThrownBy(() -> LocalCluster.builder().workers(-1).reserve())
        .hasMessage("expected a non-negative number of worker tasks, but got -1");
  }

  @Test
  void badArgumentsExitWithStatus2AndATakenPortIsNamed() throws Exception {
    Process bad =
        new ProcessBuilder(
                ChildProcess.javaCommand(
                    List.of(), TaskServerMain.class.getName(), List.of("--cluster", "ps=h:0")))
            .redirectErrorStream(true)
            .start();
    String out = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(bad.exitValue()).isEqualTo(2);
    assertThat(out)
        .contains(
            "TaskServerMain: --cluster 'ps=h:0': expected a host:port address with a port in 1..65535 for"
                + " task 0 of job \"ps\", but got \"h:0\"")
        .contains(TaskServerMain.USAGE);

    // issue 11 item 10: a taken port is one line naming the port, without TensorFlow's diagnostics
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Process busy =
          new ProcessBuilder(
                  ChildProcess.javaCommand(
                      List.of(),
                      TaskServerMain.class.getName(),
                      List.of("--cluster", "ps=127.0.0.1:" + port, "--job", "ps")))
              .redirectErrorStream(true)
              .start();
      String busyOut = new String(busy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(busy.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(busy.exitValue()).as(busyOut).isEqualTo(1);
      assertThat(busyOut.strip()).isEqualTo("TaskServerMain: cannot serve /job:ps/task:0: port " + port + " is in use");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  // issue 11 item 6: what the kernel says the task listens on, not what the spec says
  @Test
  void aTaskOnLoopbackListensOnEveryInterfaceAndSaysSoOnce() {
    try (LocalCluster cluster = LocalCluster.builder().ps(1).workers(0).startTimeout(START).start()) {
      String address = cluster.spec().address("ps", 0);
      int port = Integer.parseInt(address.substring(address.indexOf(':') + 1));
      assertThat(address).startsWith("127.0.0.1:");
      // TensorFlow's GrpcServer binds 0.0.0.0 (gRPC makes it the dual-stack [::]): no bind address
      assertThat(ListeningSockets.addresses(port)).isNotEmpty().allMatch(a -> a.equals("::") || a.equals("0.0.0.0"));
      List<String> warnings =
          cluster.task("ps", 0).transcript().stream().filter(l -> l.contains(TaskServer.EXPOSURE_MARKER)).toList();
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0))
          .contains("WARN dev.tfmon.cluster.TaskServer - /job:ps/task:0 listens on port " + port
              + " of every network interface, not only on 127.0.0.1 as the cluster spec says")
          .contains("no authentication");
    }
  }

  private static String nodeDevice(List<DeviceStepStats> devices, String node) {
    for (DeviceStepStats d : devices) {
      for (NodeExecStats n : d.getNodeStatsList()) {
        if (n.getNodeName().equals(node)) {
          return d.getDevice();
        }
      }
    }
    throw new AssertionError("node " + node + " ran on no device of " + devices);
  }
}

package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.summary.EventFileReader;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * {@code tfmon server} and {@code tfmon cluster} as child processes on loopback ports: a local
 * cluster of 1 ps + 2 workers trains the built-in model to the step limit, the chief's checkpoint
 * and event file land in the model directory, and every task is gone afterwards.
 */
@Tag("multiprocess")
class ClusterCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  @TempDir Path work;

  @Test
  void clusterOfOnePsAndTwoWorkersTrainsToTheStepLimit() throws IOException {
    Path modelDir = work.resolve("dist");
    CliProcess.Result r = CliProcess.run(work, TIMEOUT,
        "cluster", "--ps", "1", "--workers", "2",
        "train", "--max-steps", "200", "--model-dir", modelDir.toString(), "--summary-steps", "50");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(0);
    assertThat(r.out()).as(r.toString())
        .contains("[ps0] READY grpc://127.0.0.1:")
        .contains("[worker0] READY grpc://127.0.0.1:")
        .contains("(chief)")
        .contains("[worker1] waiting for the chief (/job:worker/task:0) to initialize or restore the model")
        .contains("[worker0] step ")
        .contains("[worker1] step ")
        .contains("all 2 workers finished; the ps task stopped");
    assertThat(doneStep(r.out(), 0)).isGreaterThanOrEqualTo(200);
    assertThat(doneStep(r.out(), 1)).isGreaterThanOrEqualTo(200);
    // TensorFlow's native INFO lines are filtered out of the stream
    assertThat(r.out()).doesNotContain("grpc_server_lib.cc");

    String checkpoint = Checkpoints.latestCheckpoint(modelDir).orElseThrow();
    long step = Long.parseLong(checkpoint.substring(checkpoint.lastIndexOf('-') + 1));
    assertThat(step).isGreaterThanOrEqualTo(200);
    assertThat(r.out()).contains("checkpoint:  " + checkpoint);
    assertThat(EventFileReader.eventFiles(modelDir)).hasSize(1);

    // Every task was killed: the ps port refuses connections now.
    Matcher ps = Pattern.compile("cluster: ps=127\\.0\\.0\\.1:(\\d+);").matcher(r.out());
    assertThat(ps.find()).as(r.out()).isTrue();
    assertRefused(Integer.parseInt(ps.group(1)));

    CliProcess.Result inspect = CliProcess.run(work, TIMEOUT, "inspect", modelDir.toString());
    assertThat(inspect.exitCode()).as(inspect.toString()).isEqualTo(0);
    // issue 14 item 1: Adam on the cluster, its slots and beta powers saved once, with the weights
    assertThat(r.out()).contains("[worker1] model: multi-layer classifier, layers 2-64-64-3 (ReLU), Adam(learning rate 0.01)");
    assertThat(inspect.out()).contains("checkpoint " + checkpoint + ": 21 tensors")
        .contains("global_step").contains("dense_0_kernel").contains("dense_0_kernel-m").contains("beta1_power");
  }

  @Test
  void sigtermStopsTheWorkersWithACheckpointAndKillsEveryTask() {
    Path modelDir = work.resolve("stopped");
    int[] ports;
    try (CliProcess cluster = CliProcess.start(work,
        "cluster", "--ps", "1", "--workers", "2", "train", "--max-steps", "1000000", "--model-dir", modelDir.toString(),
        "--log-steps", "20")) {
      String spec = cluster.awaitLine("cluster: ", Duration.ofSeconds(60));
      ports = Pattern.compile(":(\\d+)").matcher(spec).results().mapToInt(m -> Integer.parseInt(m.group(1))).toArray();
      cluster.awaitLine("[worker1] step ", TIMEOUT);
      cluster.terminate();
      CliProcess.Result r = cluster.await(TIMEOUT);

      assertThat(r.exitCode()).as(r.toString()).isEqualTo(143);
      assertThat(r.out()).as(r.toString())
          .contains("tfmon: SIGTERM received: stopping the workers (the chief writes a checkpoint), then every task")
          .contains("[worker0] stopped by SIGTERM at global step ")
          .contains("worker0: exited with code 143")
          .contains("worker1: exited with code 143");
      String checkpoint = Checkpoints.latestCheckpoint(modelDir).orElseThrow();
      assertThat(r.out()).contains("[worker0] checkpoint:  " + checkpoint);
      assertThat(Long.parseLong(checkpoint.substring(checkpoint.lastIndexOf('-') + 1))).isPositive();
    }
    assertThat(ports).hasSize(3);
    for (int port : ports) {
      assertRefused(port);
    }
  }

  @Test
  void aFailingWorkerFailsTheClusterNamingTheTask() {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "cluster", "--workers", "1", "train", "--data", "missing.csv");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err().split("\n")[0]).isEqualTo("tfmon: error: /job:worker/task:0 failed with exit code 2");
    assertThat(r.out()).contains("[worker0] tfmon: error: --data missing.csv: no such file");
  }

  @Test
  void serverPrintsReadyAndServesSessions() throws IOException {
    int port = freePort();
    try (CliProcess server = CliProcess.start(work,
        "server", "--cluster", "ps=127.0.0.1:" + port, "--job", "ps", "--task", "0")) {
      String ready = server.awaitLine("READY ", Duration.ofSeconds(60));
      assertThat(ready).isEqualTo("READY grpc://127.0.0.1:" + port + " /job:ps/task:0");
      try (Graph g = new Graph();
          NativeSession session = NativeSession.open(g, "grpc://127.0.0.1:" + port, null)) {
        Ops tf = Ops.create(g);
        var c = tf.math.add(tf.constant(40f), tf.constant(2f));
        try (RunResult result = session.runner().fetch(c).run()) {
          assertThat(((TFloat32) result.get(0)).getFloat()).isEqualTo(42f);
        }
      }
    }
    assertRefused(port);
  }

  @Test
  void serverWithABadClusterIsAUsageErrorNamingTheValue() {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "server", "--cluster", "ps=nohost", "--job", "ps");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err().split("\n")[0]).isEqualTo("tfmon: error: --cluster 'ps=nohost': expected a host:port address"
        + " with a port in 1..65535 for task 0 of job \"ps\", but got \"nohost\"");
  }

  @Test
  void serverWithAnUnknownJobIsAUsageErrorNamingTheJob() {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "server", "--cluster", "ps=127.0.0.1:2222", "--job", "chief");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err().split("\n")[0])
        .isEqualTo("tfmon: error: --job chief --task 0: no job \"chief\" in the cluster; jobs are [ps]");
  }

  @Test
  void trainOnAPsTaskIsAUsageError() {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT,
        "train", "--cluster", "ps=127.0.0.1:2222;worker=127.0.0.1:2223", "--job", "ps");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err().split("\n")[0]).isEqualTo("tfmon: error: tfmon train runs worker tasks only, but the task is"
        + " /job:ps/task:0 (serve a ps task with 'tfmon server')");
  }

  @Test
  void clusterRejectsOptionsItSetsItself() {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "cluster", "--workers", "2", "train", "--task", "1");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err().split("\n")[0])
        .isEqualTo("tfmon: error: tfmon cluster sets --task of each worker itself; remove '--task'");
  }

  private static long doneStep(String out, int worker) {
    Matcher m = Pattern.compile("\\[worker" + worker + "] done: /job:worker/task:" + worker + " at global step (\\d+)")
        .matcher(out);
    assertThat(m.find()).as("worker %d reports done in:\n%s", worker, out).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static void assertRefused(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      throw new AssertionError("port " + port + " still accepts connections: a task survived");
    } catch (ConnectException expected) {
      // nobody listens any more
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}

package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointDirLock;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.cluster.TaskServer;
import dev.tfmon.eval.EvalResult;
import dev.tfmon.eval.EvaluationLedger;
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
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.InstanceOfAssertFactories;
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
    // issue 11 item 6: one warning for the whole cluster, not one per task
    assertThat(r.out()).doesNotContain(TaskServer.EXPOSURE_MARKER);
    assertThat(r.err().lines().filter(l -> l.contains(TaskServer.EXPOSURE_MARKER)))
        .singleElement(InstanceOfAssertFactories.STRING)
        .startsWith("WARN LocalCluster - the cluster's tasks listen on ports ");

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

  // issue 14 item 2: tfmon cluster --sync, 3 workers aggregating 2 (one backup)
  @Test
  void syncReplicasWithABackupWorkerTrainToTheStepLimit() {
    Path modelDir = work.resolve("sync");
    CliProcess.Result r = CliProcess.run(work, TIMEOUT,
        "cluster", "--ps", "1", "--workers", "3", "--sync", "--replicas-to-aggregate", "2",
        "train", "--max-steps", "120", "--model-dir", modelDir.toString(), "--log-steps", "40");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(0);
    assertThat(r.out()).as(r.toString())
        .contains("[worker0] synchronous replicas: each step averages 2 of the 3 workers' gradients (the others are backups)")
        .contains("[worker2] synchronous replicas: each step averages 2 of the 3 workers' gradients")
        .contains("all 3 workers finished; the ps task stopped");
    for (int w = 0; w < 3; w++) {
      assertThat(doneStep(r.out(), w)).isGreaterThanOrEqualTo(120);
    }
    String checkpoint = Checkpoints.latestCheckpoint(modelDir).orElseThrow();
    assertThat(Long.parseLong(checkpoint.substring(checkpoint.lastIndexOf('-') + 1))).isGreaterThanOrEqualTo(120);
    CliProcess.Result inspect = CliProcess.run(work, TIMEOUT, "inspect", modelDir.toString());
    assertThat(inspect.exitCode()).as(inspect.toString()).isEqualTo(0);
    // the same 21 tensors as without --sync: the local step is a local variable, never saved
    assertThat(inspect.out()).contains("checkpoint " + checkpoint + ": 21 tensors").doesNotContain("local_step");
  }

  // issue 14 item 2
  @Test
  void syncOptionsNeedEachOtherAndACluster() {
    CliProcess.Result noSync = CliProcess.run(work, TIMEOUT, "cluster", "--replicas-to-aggregate", "2", "train");
    assertThat(noSync.exitCode()).isEqualTo(2);
    assertThat(noSync.err()).contains("tfmon: error: --replicas-to-aggregate 2 needs --sync");
    CliProcess.Result alone = CliProcess.run(work, TIMEOUT, "train", "--sync", "--model-dir", work.resolve("m").toString());
    assertThat(alone.exitCode()).isEqualTo(2);
    assertThat(alone.err()).contains("tfmon: error: --sync needs a cluster (--cluster SPEC or the TF_CONFIG environment variable)");
    CliProcess.Result zero = CliProcess.run(work, TIMEOUT, "cluster", "--sync", "--replicas-to-aggregate", "0", "train");
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).contains("tfmon: error: --replicas-to-aggregate must be positive, but got 0");
    CliProcess.Result epochs = CliProcess.run(work, TIMEOUT, "train", "--sync", "--epochs", "2",
        "--cluster", "ps=127.0.0.1:1;worker=127.0.0.1:2", "--model-dir", work.resolve("e").toString());
    assertThat(epochs.exitCode()).isEqualTo(2);
    assertThat(epochs.err()).contains("tfmon: error: --sync stops at --max-steps; --epochs 2 cannot end synchronous replicas together");
  }

  // issue 14 item 4: this cluster runs with every task on its own loopback address
  @Test
  void sigtermStopsTheWorkersWithACheckpointAndKillsEveryTask() {
    Path modelDir = work.resolve("stopped");
    int[] ports;
    try (CliProcess cluster = CliProcess.start(work,
        "cluster", "--ps", "1", "--workers", "2", "--host-per-task",
        "train", "--max-steps", "1000000", "--model-dir", modelDir.toString(), "--log-steps", "20")) {
      String spec = cluster.awaitLine("cluster: ", Duration.ofSeconds(60));
      assertThat(spec).matches("cluster: ps=127\\.0\\.0\\.2:\\d+;worker=127\\.0\\.0\\.3:\\d+,127\\.0\\.0\\.4:\\d+");
      ports = Pattern.compile(":(\\d+)").matcher(spec).results().mapToInt(m -> Integer.parseInt(m.group(1))).toArray();
      cluster.awaitLine("[worker1] READY grpc://127.0.0.4:", TIMEOUT);
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
    // the cluster's warning that its ports are open on every interface, then the error
    assertThat(r.err().lines()).hasSize(2).last().isEqualTo("tfmon: error: /job:worker/task:0 failed with exit code 2");
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
      // issue 11 item 6: TensorFlow listens on every interface (LocalClusterTest reads the kernel's
      // table); the server says so in one WARN line
      server.terminate();
      CliProcess.Result r = server.await(TIMEOUT);
      assertThat(r.err().lines().filter(l -> l.contains(TaskServer.EXPOSURE_MARKER)))
          .singleElement(InstanceOfAssertFactories.STRING)
          .startsWith("WARN TaskServer - /job:ps/task:0 listens on port " + port + " of every network interface, not only on"
              + " 127.0.0.1 as the cluster spec says");
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
    assertThat(r.err().split("\n")[0]).isEqualTo("tfmon: error: tfmon train runs worker and chief tasks only, but the"
        + " task is /job:ps/task:0 (serve a ps task with 'tfmon server')");
  }

  @Test
  void clusterRejectsOptionsItSetsItself() {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "cluster", "--workers", "2", "train", "--task", "1");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err().split("\n")[0])
        .isEqualTo("tfmon: error: tfmon cluster sets --task of each worker itself; remove '--task'");
  }

  // issue 11 item 10: a taken port is one line naming it, for server and train alike, with no native noise
  @Test
  void aTakenPortIsOneLineNamingThePort() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      CliProcess.Result server = CliProcess.run(work, TIMEOUT, "server", "--cluster", "ps=127.0.0.1:" + port, "--job", "ps");
      assertThat(server.exitCode()).as(server.toString()).isEqualTo(1);
      assertThat(server.out()).isEmpty();
      assertThat(server.err()).isEqualTo("tfmon: error: cannot serve /job:ps/task:0: port " + port + " is in use\n");

      CliProcess.Result train = CliProcess.run(work, TIMEOUT,
          "train", "--cluster", "ps=127.0.0.1:1;worker=127.0.0.1:" + port, "--model-dir", work.resolve("taken").toString());
      assertThat(train.exitCode()).as(train.toString()).isEqualTo(1);
      assertThat(train.out()).isEmpty();
      assertThat(train.err()).isEqualTo("tfmon: error: cannot serve /job:worker/task:0: port " + port + " is in use\n");
      assertThat(work.resolve("taken")).doesNotExist();
    }
  }

  // issue 11 item 16
  @Test
  void aClusterFileThatDoesNotExistIsNamedAsMissing() {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "server", "--cluster", "nope.json", "--job", "ps");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err().split("\n")[0]).isEqualTo("tfmon: error: --cluster 'nope.json': no such file"
        + " (and not inline JSON or job=host:port[,host:port...][;job=...] either)");
  }

  // issue 14 item 3 + issue 12: one program, each pod told its part by TF_CONFIG as Kubeflow's TFJob
  // writes it: a ps, a separate chief that initializes and saves, a worker, and an evaluator outside
  // the cluster that evaluates every checkpoint of the chief's directory as it comes, without the lock
  @Test
  void tfConfigOfEachTaskTypeAsKubernetesOperatorsWriteIt() throws IOException {
    String chief = "127.0.0.1:" + freePort();
    String ps = "127.0.0.1:" + freePort();
    String worker = "127.0.0.1:" + freePort();
    String cluster = "{\"chief\": [\"" + chief + "\"], \"ps\": [\"" + ps + "\"], \"worker\": [\"" + worker + "\"]}";
    java.util.function.Function<String, Map<String, String>> tfConfig = type -> Map.of("TF_CONFIG",
        "{\"cluster\": " + cluster + ", \"task\": {\"type\": \"" + type + "\", \"index\": 0}, \"environment\": \"cloud\"}");
    Path modelDir = work.resolve("tfjob");
    String[] train = {"train", "--max-steps", "150", "--model-dir", modelDir.toString(), "--log-steps", "50",
        "--save-checkpoint-steps", "50"};

    CliProcess.Result evaluatorServer = CliProcess.start(work, tfConfig.apply("evaluator"), "server").await(TIMEOUT);
    assertThat(evaluatorServer.exitCode()).as(evaluatorServer.toString()).isEqualTo(0);
    assertThat(evaluatorServer.out()).isEqualTo("/job:evaluator/task:0 is not a task of the cluster (jobs [chief, ps,"
        + " worker]): an evaluator serves nothing ('tfmon train' with the chief's options evaluates the chief's"
        + " checkpoints there); exiting\n");

    try (CliProcess evaluator = CliProcess.start(work, tfConfig.apply("evaluator"), train)) {
      // first, as pods start in any order: it waits for the chief's directory and checkpoints
      assertThat(evaluator.awaitLine("/job:evaluator/task:0 is the evaluator", TIMEOUT)).isEqualTo(
          "/job:evaluator/task:0 is the evaluator, outside the cluster chief=" + chief + ";ps=" + ps + ";worker=" + worker
              + ": evaluating each checkpoint of " + modelDir + " on spirals (3000 points, 3 classes, seed 42) eval"
              + " (600 examples) until training ends at global step 150, or until 10m pass without a new one");
      assertThat(modelDir).doesNotExist();
      CliProcess.Result c;
      CliProcess.Result w;
      try (CliProcess psTask = CliProcess.start(work, tfConfig.apply("ps"), "server");
          CliProcess workerTask = CliProcess.start(work, tfConfig.apply("worker"), train);
          CliProcess chiefTask = CliProcess.start(work, tfConfig.apply("chief"), train)) {
        assertThat(psTask.awaitLine("READY ", TIMEOUT)).endsWith(" /job:ps/task:0");
        c = chiefTask.await(TIMEOUT);
        w = workerTask.await(TIMEOUT);
      }
      assertThat(c.exitCode()).as(c.toString()).isEqualTo(0);
      assertThat(w.exitCode()).as(w.toString()).isEqualTo(0);
      // the evaluator held no lock: the chief started at once
      assertThat(c.out()).as(c.toString())
          .contains("this is /job:chief/task:0 (chief); variables on 1 ps task")
          .contains("starting from scratch in " + modelDir)
          .containsPattern("done: /job:chief/task:0 at global step 15\\d");
      assertThat(w.out()).as(w.toString())
          .contains("this is /job:worker/task:0; variables on 1 ps task")
          .contains("waiting for the chief (/job:chief/task:0) to initialize or restore the model")
          .containsPattern("done: /job:worker/task:0 at global step 15\\d")
          .doesNotContain("checkpoint:");

      // it ends by itself once the chief has written its last checkpoint and ended
      CliProcess.Result e = evaluator.await(TIMEOUT);
      assertThat(e.exitCode()).as(e.toString()).isEqualTo(0);
      List<String> written = Checkpoints.checkpointState(modelDir).orElseThrow().allModelCheckpointPaths();
      assertThat(written).hasSizeGreaterThanOrEqualTo(3);   // about 50, 100, 150 and the final one
      String last = written.get(written.size() - 1);
      assertThat(Long.parseLong(last.substring(last.lastIndexOf('-') + 1))).isGreaterThanOrEqualTo(150);
      // every checkpoint the chief kept (and any the rolling retention deleted after its evaluation), once, in order
      List<EvalResult> ledger = EvaluationLedger.forModelDir(modelDir, "").read();
      List<String> evaluated = ledger.stream().map(EvalResult::checkpoint).toList();
      assertThat(evaluated).doesNotHaveDuplicates().containsAll(written).endsWith(last);
      assertThat(ledger).extracting(EvalResult::globalStep).isSorted();
      assertThat(e.out().lines().filter(l -> l.startsWith(modelDir.toString())).map(l -> l.split(" +")[0]))
          .isEqualTo(evaluated);
      assertThat(e.out()).contains("evaluated " + evaluated.size() + " checkpoint(s); results in " + modelDir.resolve("eval"));
      assertThat(modelDir.resolve(CheckpointDirLock.FILE_NAME)).doesNotExist();
    }
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

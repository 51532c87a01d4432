package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a distributed command finds its task: --cluster/--job/--task, else TF_CONFIG. */
class ClusterArgsTest {
  private static final String TF_CONFIG =
      "{\"cluster\": {\"ps\": [\"127.0.0.1:2222\"], \"worker\": [\"127.0.0.1:2223\", \"127.0.0.1:2224\"]},"
          + " \"task\": {\"type\": \"worker\", \"index\": 1}}";

  @TempDir Path dir;

  @Test
  void compactClusterWithDefaults() {
    ClusterArgs me = ClusterArgs.resolve("ps=127.0.0.1:2222;worker=127.0.0.1:2223", null, null, "worker", Map.of())
        .orElseThrow();
    assertThat(me.job()).isEqualTo("worker");
    assertThat(me.task()).isZero();
    assertThat(me.cluster().target("ps", 0)).isEqualTo("grpc://127.0.0.1:2222");
  }

  @Test
  void tfConfigGivesClusterJobAndTaskWhenNoClusterOption() {
    ClusterArgs me = ClusterArgs.resolve(null, null, null, null, Map.of("TF_CONFIG", TF_CONFIG)).orElseThrow();
    assertThat(me.job()).isEqualTo("worker");
    assertThat(me.task()).isEqualTo(1);
    assertThat(me.cluster().numTasks("worker")).isEqualTo(2);
  }

  @Test
  void neitherClusterNorTfConfigIsEmpty() {
    assertThat(ClusterArgs.resolve(null, null, null, "worker", Map.of())).isEmpty();
  }

  @Test
  void jobWithoutClusterIsAUsageError() {
    assertThatThrownBy(() -> ClusterArgs.resolve(null, "ps", null, null, Map.of()))
        .isInstanceOf(CliException.class)
        .hasMessage("--job and --task need --cluster SPEC (or the TF_CONFIG environment variable)")
        .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(CliException.USAGE));
  }

  @Test
  void badTfConfigNamesTheProblem() {
    assertThatThrownBy(() -> ClusterArgs.resolve(null, null, null, null, Map.of("TF_CONFIG", "{\"task\": {}}")))
        .isInstanceOf(CliException.class)
        .hasMessage("bad TF_CONFIG: TF_CONFIG has no \"cluster\"; keys are [task]");
  }

  @Test
  void taskOutOfRangeNamesJobAndTask() {
    assertThatThrownBy(() -> ClusterArgs.resolve("ps=127.0.0.1:2222", "ps", 3, null, Map.of()))
        .isInstanceOf(CliException.class)
        .hasMessageStartingWith("--job ps --task 3: ");
  }

  @Test
  void jsonFileIsRead() throws IOException {
    Path file = Files.writeString(dir.resolve("cluster.json"), "{\"ps\": [\"127.0.0.1:2222\"]}");
    assertThat(ClusterArgs.parseCluster(file.toString()).target("ps", 0)).isEqualTo("grpc://127.0.0.1:2222");
  }

  // issue 11 item 16
  @Test
  void missingFileIsAUsageErrorSayingItDoesNotExist() {
    Path file = dir.resolve("nope.json");
    assertThatThrownBy(() -> ClusterArgs.parseCluster(file.toString()))
        .isInstanceOf(CliException.class)
        .hasMessage("--cluster '" + file + "': no such file (and not inline JSON or job=host:port[,host:port...][;job=...] either)");
  }

  // issue 14 item 3: TF_CONFIG as Kubernetes operators write it, for each task type
  @Test
  void tfConfigOfAKubeflowJobForEachTaskType() {
    String cluster = "{\"chief\": [\"job-chief-0:2222\"], \"ps\": [\"job-ps-0:2222\"], \"worker\": [\"job-worker-0:2222\"]}";
    java.util.function.Function<String, ClusterArgs> task =
        type -> ClusterArgs.resolve(null, null, null, "worker", Map.of("TF_CONFIG",
                "{\"cluster\": " + cluster + ", \"task\": {\"type\": \"" + type + "\", \"index\": 0}, \"environment\": \"cloud\"}"))
            .orElseThrow();
    ClusterArgs chief = task.apply("chief");
    assertThat(chief.isChief()).isTrue();
    assertThat(chief.taskName()).isEqualTo("/job:chief/task:0");
    assertThat(chief.placement().workerDevice(0).toString()).isEqualTo("/job:chief/task:0");
    assertThat(chief.placement().sessionConfig(0).getDeviceFiltersList()).containsExactly("/job:ps", "/job:chief/task:0");
    ClusterArgs worker = task.apply("worker");
    assertThat(worker.isChief()).isFalse();
    assertThat(worker.chiefName()).isEqualTo("/job:chief/task:0");
    assertThat(task.apply("ps").isEvaluator()).isFalse();
    ClusterArgs evaluator = task.apply("evaluator");
    assertThat(evaluator.isEvaluator()).isTrue();
    assertThat(evaluator.evaluatorNote()).isEqualTo("/job:evaluator/task:0 is not a task of the cluster (jobs [chief, ps,"
        + " worker]): an evaluator serves nothing ('tfmon train' with the chief's options evaluates the chief's checkpoints"
        + " there); exiting");
  }

  @Test
  void shortNamesOfTasksAndNativeLogLines() {
    assertThat(ClusterCommand.shortName("/job:worker/task:1")).isEqualTo("worker1");
    assertThat(ClusterCommand.isNativeInfo(
        "I0000 00:00:1795577021.779020   19479 grpc_server_lib.cc:464] Started server")).isTrue();
    assertThat(ClusterCommand.isNativeInfo("step 100/200  loss 1.07")).isFalse();
    assertThat(ClusterCommand.modelDir(java.util.List.of("--max-steps", "5", "--model-dir", "runs/x"))).isEqualTo("runs/x");
    assertThat(ClusterCommand.modelDir(java.util.List.of("--model-dir=runs/y"))).isEqualTo("runs/y");
    assertThat(ClusterCommand.modelDir(java.util.List.of())).isEqualTo("runs/default");
  }

  // issue 15 item 5: train and server take the same cluster options, from one mixin
  @Test
  void trainAndServerShareTheClusterOptions() {
    picocli.CommandLine cli = new picocli.CommandLine(new TfmonCli());
    for (String command : java.util.List.of("train", "server")) {
      picocli.CommandLine.Model.CommandSpec spec = cli.getSubcommands().get(command).getCommandSpec();
      assertThat(spec.mixins()).containsKey("clusterOptions");
      for (String option : java.util.List.of("--cluster", "--job", "--task", "--exit-on-stdin-eof")) {
        assertThat(spec.findOption(option)).as("%s %s", command, option).isNotNull();
      }
      assertThat(spec.findOption("--cluster").description())
          .isEqualTo(cli.getSubcommands().get("server").getCommandSpec().findOption("--cluster").description());
    }
    assertThat(ClusterOptions.SET_BY_CLUSTER).containsExactly("--cluster", "--job", "--task");
  }
}

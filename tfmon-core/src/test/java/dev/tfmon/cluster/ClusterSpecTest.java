package dev.tfmon.cluster;

import dev.tfmon.json.Json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.JobDef;
import org.tensorflow.proto.ServerDef;

class ClusterSpecTest {
  private static final String JSON =
      "{\"worker\": [\"127.0.0.1:2223\", \"127.0.0.1:2224\"], \"ps\": [\"127.0.0.1:2222\"]}";

  @TempDir Path dir;

  @Test
  void builderJsonAndCompactFormAgree() {
    ClusterSpec built =
        ClusterSpec.builder()
            .job("worker", "127.0.0.1:2223", "127.0.0.1:2224")
            .job("ps", "127.0.0.1:2222")
            .build();
    assertThat(ClusterSpec.fromJson(JSON)).isEqualTo(built);
    assertThat(ClusterSpec.parse("ps=127.0.0.1:2222;worker=127.0.0.1:2223,127.0.0.1:2224"))
        .isEqualTo(built);
    assertThat(ClusterSpec.parse(" " + JSON + "\n")).isEqualTo(built);
    assertThat(built.jobNames()).containsExactly("ps", "worker");
    assertThat(built.numTasks("worker")).isEqualTo(2);
    assertThat(built.address("worker", 1)).isEqualTo("127.0.0.1:2224");
    assertThat(built.target("ps", 0)).isEqualTo("grpc://127.0.0.1:2222");
    assertThat(built.toCompactString())
        .isEqualTo("ps=127.0.0.1:2222;worker=127.0.0.1:2223,127.0.0.1:2224");
    assertThat(ClusterSpec.fromJson(built.toJson())).isEqualTo(built);
    assertThat(built.toJson())
        .isEqualTo(
            "{\"ps\": [\"127.0.0.1:2222\"], \"worker\": [\"127.0.0.1:2223\", \"127.0.0.1:2224\"]}");
  }

  @Test
  void isImmutable() {
    ClusterSpec spec = ClusterSpec.parse("ps=h:1");
    assertThatThrownBy(() -> spec.jobs().put("x", List.of("h:2")))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> spec.addresses("ps").add("h:3"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void fromJsonFileAndFromAWholeTfConfigDocument() throws Exception {
    Path file = dir.resolve("cluster.json");
    Files.writeString(file, JSON);
    assertThat(ClusterSpec.fromJsonFile(file)).isEqualTo(ClusterSpec.fromJson(JSON));
    assertThat(
            ClusterSpec.fromJson(
                "{\"cluster\": " + JSON + ", \"task\": {\"type\": \"ps\", \"index\": 0}}"))
        .isEqualTo(ClusterSpec.fromJson(JSON));
    assertThatThrownBy(() -> ClusterSpec.fromJsonFile(dir.resolve("missing.json")))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("missing.json");
    Files.writeString(file, "{\"ps\": [\"h:1\",]}");
    assertThatThrownBy(() -> ClusterSpec.fromJsonFile(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "bad cluster spec file " + file
                + ": invalid JSON at offset 14: expected a value, but found ']'");
  }

  @Test
  void toServerDefDescribesTheTaskForTheGrpcRuntime() {
    ServerDef def = ClusterSpec.fromJson(JSON).toServerDef("worker", 1);
    assertThat(def.getProtocol()).isEqualTo("grpc");
    assertThat(def.getJobName()).isEqualTo("worker");
    assertThat(def.getTaskIndex()).isEqualTo(1);
    assertThat(def.getCluster().getJobList()).extracting(JobDef::getName).containsExactly("ps", "worker");
    assertThat(def.getCluster().getJob(1).getTasksMap())
        .isEqualTo(Map.of(0, "127.0.0.1:2223", 1, "127.0.0.1:2224"));
  }

  @Test
  void badJobsAndAddressesAreNamed() {
    assertThatThrownBy(() -> ClusterSpec.parse("ps=127.0.0.1:99999"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "expected a host:port address with a port in 1..65535 for task 0 of job \"ps\", but got"
                + " \"127.0.0.1:99999\"");
    assertThatThrownBy(() -> ClusterSpec.parse("ps=h:1;worker=h:2,localhost"))
        .hasMessage(
            "expected a host:port address with a port in 1..65535 for task 1 of job \"worker\","
                + " but got \"localhost\"");
    assertThatThrownBy(() -> ClusterSpec.parse("ps=h:1;worker=h:2,"))
        .hasMessage(
            "expected a host:port address for task 1 of job \"worker\", but got \"\"");
    assertThatThrownBy(() -> ClusterSpec.parse("ps=h:1;worker=h:1"))
        .hasMessage("address \"h:1\" is used by both /job:ps/task:0 and /job:worker/task:0");
    assertThatThrownBy(() -> ClusterSpec.parse("p s=h:1"))
        .hasMessage("expected a job name matching [A-Za-z][A-Za-z0-9_]*, but got \"p s\"");
    assertThatThrownBy(() -> ClusterSpec.fromJson("{\"ps\": []}"))
        .hasMessage("job \"ps\" has no tasks; expected at least one host:port address");
    assertThatThrownBy(() -> ClusterSpec.fromJson("{\"ps\": \"h:1\"}"))
        .hasMessage(
            "expected job \"ps\" to be an array of \"host:port\" strings, but got the string \"h:1\"");
    assertThatThrownBy(() -> ClusterSpec.fromJson("{\"ps\": [2222]}"))
        .hasMessage("expected the addresses of job \"ps\" to be strings, but got 2222");
    assertThatThrownBy(() -> ClusterSpec.fromJson("{}"))
        .hasMessage("expected at least one job in the cluster, but got none");
    assertThatThrownBy(() -> ClusterSpec.fromJson("[]"))
        .hasMessage("expected a JSON object of job name to task addresses, but got an array");
    assertThatThrownBy(() -> ClusterSpec.parse("ps"))
        .hasMessage("expected job=host:port[,host:port...] in the cluster spec, but got \"ps\"");
    assertThatThrownBy(() -> ClusterSpec.parse("ps=h:1;ps=h:2"))
        .hasMessage("job \"ps\" is given twice in \"ps=h:1;ps=h:2\"");
    assertThatThrownBy(() -> ClusterSpec.builder().job("ps", "h:1").job("ps", "h:2"))
        .hasMessage("job \"ps\" was already added");
    // IPv6 literals need brackets, as in gRPC targets
    assertThat(ClusterSpec.parse("ps=[::1]:2222").address("ps", 0)).isEqualTo("[::1]:2222");
    assertThatThrownBy(() -> ClusterSpec.parse("ps=::1:2222"))
        .hasMessageContaining("but got \"::1:2222\"");
  }

  @Test
  void unknownJobsAndTasksAreNamed() {
    ClusterSpec spec = ClusterSpec.fromJson(JSON);
    assertThatThrownBy(() -> spec.address("chief", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no job \"chief\" in the cluster; jobs are [ps, worker]");
    assertThatThrownBy(() -> spec.toServerDef("worker", 2))
        .hasMessage("expected a task index of job \"worker\" in 0..1, but got 2");
    assertThatThrownBy(() -> spec.target("ps", -1))
        .hasMessage("expected a task index of job \"ps\" in 0..0, but got -1");
    assertThatThrownBy(() -> new TfConfig(spec, null, 0))
        .hasMessage("no job \"null\" in the cluster; jobs are [ps, worker]");
  }

  @Test
  void tfConfigInTensorFlowsFormat() {
    String env =
        "{\"cluster\": " + JSON + ", \"task\": {\"type\": \"worker\", \"index\": 1},"
            + " \"environment\": \"cloud\"}";
    TfConfig config = TfConfig.fromEnvironment(Map.of("TF_CONFIG", env)).orElseThrow();
    assertThat(config.cluster()).isEqualTo(ClusterSpec.fromJson(JSON));
    assertThat(config.taskType()).isEqualTo("worker");
    assertThat(config.taskIndex()).isEqualTo(1);
    assertThat(config.isChief()).isFalse();
    assertThat(config.target()).isEqualTo("grpc://127.0.0.1:2224");
    assertThat(config.toServerDef()).isEqualTo(config.cluster().toServerDef("worker", 1));
    assertThat(TfConfig.parse(env.replace("\"index\": 1", "\"index\": 0")).isChief()).isTrue();
    // with a chief job, worker 0 is not the chief (TensorFlow's rule)
    TfConfig withChief =
        TfConfig.parse(
            "{\"cluster\": {\"chief\": [\"h:1\"], \"worker\": [\"h:2\"]},"
                + " \"task\": {\"type\": \"worker\", \"index\": 0}}");
    assertThat(withChief.isChief()).isFalse();
    assertThat(TfConfig.parse("{\"cluster\": {\"chief\": [\"h:1\"]}, \"task\": {\"type\": \"chief\"}}")
            .isChief())
        .isTrue();
    assertThat(TfConfig.fromEnvironment(Map.of())).isEqualTo(Optional.empty());
    assertThat(TfConfig.fromEnvironment(Map.of("TF_CONFIG", "  "))).isEqualTo(Optional.empty());
  }

  @Test
  void badTfConfigIsNamed() {
    assertThatThrownBy(() -> TfConfig.fromEnvironment(Map.of("TF_CONFIG", "{\"cluster\": ")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad TF_CONFIG: invalid JSON at offset 12: expected a value, but found end of input");
    assertThatThrownBy(() -> TfConfig.parse("{\"task\": {}}"))
        .hasMessage("TF_CONFIG has no \"cluster\"; keys are [task]");
    assertThatThrownBy(() -> TfConfig.parse("{\"cluster\": " + JSON + "}"))
        .hasMessage(
            "expected TF_CONFIG \"task\" to be an object with \"type\" and \"index\", but got nothing");
    assertThatThrownBy(
            () -> TfConfig.parse("{\"cluster\": " + JSON + ", \"task\": {\"type\": \"chief\"}}"))
        .hasMessage("no job \"chief\" in the cluster; jobs are [ps, worker]");
    assertThatThrownBy(
            () ->
                TfConfig.parse(
                    "{\"cluster\": " + JSON + ", \"task\": {\"type\": \"ps\", \"index\": 1}}"))
        .hasMessage("expected a task index of job \"ps\" in 0..0, but got 1");
    assertThatThrownBy(
            () ->
                TfConfig.parse(
                    "{\"cluster\": " + JSON + ", \"task\": {\"type\": \"ps\", \"index\": \"0\"}}"))
        .hasMessage(
            "expected TF_CONFIG task \"index\" to be a non-negative integer, but got the string \"0\"");
    assertThatThrownBy(
            () -> TfConfig.parse("{\"cluster\": " + JSON + ", \"task\": {\"type\": 1}}"))
        .hasMessage("expected TF_CONFIG task \"type\" to be a job name string, but got 1");
    assertThatThrownBy(() -> TfConfig.parse("{\"cluster\": [], \"task\": {}}"))
        .hasMessage(
            "expected \"cluster\" to be an object of job name to task addresses, but got an array");
  }

  @Test
  void strictJson() {
    assertThat(Json.parse(" {\"a\": [1, -2.5e1, true, false, null, \"x\\u0041\\n\"]} "))
        .isEqualTo(Map.of("a", List.of(1L, -25.0, true, false, Json.NULL, "xA\n")));
    assertThatThrownBy(() -> Json.parse("{\"a\": 1, \"a\": 2}"))
        .hasMessage("invalid JSON at offset 9: duplicate key \"a\"");
    assertThatThrownBy(() -> Json.parse("{\"a\": 1} x"))
        .hasMessage("invalid JSON at offset 9: expected end of document, but found 'x'");
    assertThatThrownBy(() -> Json.parse("{a: 1}"))
        .hasMessage("invalid JSON at offset 1: expected a string key, but found 'a'");
    assertThatThrownBy(() -> Json.parse("[01]"))
        .hasMessage("invalid JSON at offset 2: expected ']', but found '1'");
    assertThatThrownBy(() -> Json.parse("\"\\q\""))
        .hasMessage("invalid JSON at offset 2: expected a valid escape, but found 'q'");
    assertThatThrownBy(() -> Json.parse("// c\n{}"))
        .hasMessage("invalid JSON at offset 0: expected a value, but found '/'");
    assertThatThrownBy(() -> Json.parse("\"open"))
        .hasMessage("invalid JSON at offset 5: expected a closing quote, but found end of input");
    assertThatThrownBy(() -> Json.parse(null)).hasMessage("expected a JSON document, but got null");
    assertThat(Json.quote("a\"b\\c\u0001")).isEqualTo("\"a\\\"b\\\\c\\u0001\"");
  }

  @Test
  void taskServerMainArguments() {
    ClusterSpec spec = ClusterSpec.fromJson(JSON);
    TaskServerMain.Options o =
        TaskServerMain.parse(
            new String[] {"--cluster", spec.toCompactString(), "--job", "ps", "--task", "0"},
            Optional.empty());
    assertThat(o).isEqualTo(new TaskServerMain.Options(spec, "ps", 0, false));
    TfConfig env = new TfConfig(spec, "worker", 1);
    assertThat(TaskServerMain.parse(new String[] {"--exit-on-stdin-eof"}, Optional.of(env)))
        .isEqualTo(new TaskServerMain.Options(spec, "worker", 1, true));
    assertThatThrownBy(() -> TaskServerMain.parse(new String[] {"--job", "ps"}, Optional.empty()))
        .hasMessage("no --cluster given and TF_CONFIG is not set");
    assertThatThrownBy(
            () ->
                TaskServerMain.parse(
                    new String[] {"--cluster", JSON, "--job", "ps", "--task", "x"},
                    Optional.empty()))
        .hasMessage("expected a task index after --task, but got \"x\"");
    assertThatThrownBy(
            () -> TaskServerMain.parse(new String[] {"--cluster", JSON, "--task"}, Optional.empty()))
        .hasMessage("expected a value after --task");
    assertThatThrownBy(
            () -> TaskServerMain.parse(new String[] {"--cluster", JSON}, Optional.empty()))
        .hasMessage("no --job given; jobs are [ps, worker]");
    // issue 11 item 16: a missing file is named as missing
    assertThatThrownBy(
            () -> TaskServerMain.parse(new String[] {"--cluster", "nofile.json"}, Optional.empty()))
        .hasMessage("--cluster 'nofile.json': no such file (and not inline JSON or job=host:port[,host:port...][;job=...] either)");
    // issue 14 item 3: an evaluator is not in the cluster; parsing accepts it, main then exits
    TfConfig evaluator = TfConfig.parse("{\"cluster\": " + JSON + ", \"task\": {\"type\": \"evaluator\", \"index\": 0}}");
    assertThat(TaskServerMain.parse(new String[0], Optional.of(evaluator)))
        .isEqualTo(new TaskServerMain.Options(spec, "evaluator", 0, false));
    assertThatThrownBy(() -> TaskServerMain.parse(new String[] {"--verbose"}, Optional.empty()))
        .hasMessage("unknown argument \"--verbose\"");
  }

  // issue 11 item 16
  @Test
  void aClusterArgumentIsInlineJsonTheCompactFormOrAnExistingFile() throws Exception {
    ClusterSpec spec = ClusterSpec.fromJson(JSON);
    Path file = Files.writeString(dir.resolve("cluster.json"), JSON);
    assertThat(ClusterSpec.fromArgument(file.toString())).isEqualTo(spec);
    assertThat(ClusterSpec.fromArgument(" " + JSON)).isEqualTo(spec);
    assertThat(ClusterSpec.fromArgument(spec.toCompactString())).isEqualTo(spec);
    assertThatThrownBy(() -> ClusterSpec.fromArgument(dir.resolve("missing.json").toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no such file (and not inline JSON or job=host:port[,host:port...][;job=...] either)");
    assertThatThrownBy(() -> ClusterSpec.fromArgument(dir.toString()))
        .hasMessage("is a directory, not a JSON file (and not inline JSON or job=host:port[,host:port...][;job=...] either)");
    assertThatThrownBy(() -> ClusterSpec.fromArgument(""))
        .hasMessage("expected a cluster spec, but got \"\"");
  }

  // issue 14 item 3: TF_CONFIG as Kubernetes operators (Kubeflow's TFJob) write it
  @Test
  void tfConfigOfEveryTaskTypeOfAKubeflowJob() {
    String cluster =
        "{\"chief\": [\"mnist-chief-0.ns.svc:2222\"], \"ps\": [\"mnist-ps-0.ns.svc:2222\"],"
            + " \"worker\": [\"mnist-worker-0.ns.svc:2222\", \"mnist-worker-1.ns.svc:2222\"]}";
    java.util.function.BiFunction<String, Integer, TfConfig> config =
        (type, index) ->
            TfConfig.fromEnvironment(Map.of("TF_CONFIG",
                    "{\"cluster\": " + cluster + ", \"task\": {\"type\": \"" + type + "\", \"index\": " + index
                        + "}, \"environment\": \"cloud\"}"))
                .orElseThrow();

    TfConfig chief = config.apply("chief", 0);
    assertThat(chief.isChief()).isTrue();
    assertThat(chief.isClusterMember()).isTrue();
    assertThat(chief.target()).isEqualTo("grpc://mnist-chief-0.ns.svc:2222");
    assertThat(chief.cluster().chiefJob()).isEqualTo("chief");
    // with a chief job, worker 0 is an ordinary worker
    TfConfig worker0 = config.apply("worker", 0);
    assertThat(worker0.isChief()).isFalse();
    assertThat(worker0.taskName()).isEqualTo("/job:worker/task:0");
    assertThat(config.apply("worker", 1).toServerDef().getTaskIndex()).isEqualTo(1);
    TfConfig ps = config.apply("ps", 0);
    assertThat(ps.isChief()).isFalse();
    assertThat(ps.toServerDef().getJobName()).isEqualTo("ps");

    TfConfig evaluator = config.apply("evaluator", 0);
    assertThat(evaluator.isClusterMember()).isFalse();
    assertThat(evaluator.isChief()).isFalse();
    assertThatThrownBy(evaluator::target)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("/job:evaluator/task:0 is not a task of the cluster (jobs [chief, ps, worker]): it has no server");
    assertThatThrownBy(() -> config.apply("evaluator", -1))
        .hasMessageContaining("expected TF_CONFIG task \"index\" to be a non-negative integer, but got -1");
    // any other type must be a job of the cluster
    assertThatThrownBy(() -> config.apply("master", 0))
        .hasMessage("bad TF_CONFIG: no job \"master\" in the cluster; jobs are [chief, ps, worker]");

    // without a chief job, worker 0 is the chief
    ClusterSpec noChief = ClusterSpec.parse("ps=h:1;worker=h:2,h:3");
    assertThat(noChief.chiefJob()).isEqualTo("worker");
    assertThat(noChief.isChief("worker", 0)).isTrue();
    assertThat(noChief.isChief("worker", 1)).isFalse();
    assertThat(noChief.isChief("ps", 0)).isFalse();
  }

  // issue 11 item 6: the warning comes for hosts the spec confines to this machine
  @Test
  void theExposureWarningIsForLoopbackHosts() {
    ClusterSpec spec = ClusterSpec.parse("ps=127.0.0.1:2222,localhost:2223,127.0.0.3:2224,[::1]:2225;worker=10.1.2.3:2226,host0:2227");
    assertThat(TaskServer.exposureWarning(spec, "ps", 0)).get(InstanceOfAssertFactories.STRING)
        .startsWith("/job:ps/task:0 listens on port 2222 of every network interface, not only on 127.0.0.1 as the"
            + " cluster spec says: TensorFlow's gRPC server binds all interfaces and has no authentication");
    assertThat(TaskServer.exposureWarning(spec, "ps", 1)).isPresent();
    assertThat(TaskServer.exposureWarning(spec, "ps", 2)).isPresent();
    assertThat(TaskServer.exposureWarning(spec, "ps", 3)).isPresent();
    assertThat(TaskServer.exposureWarning(spec, "worker", 0)).isEmpty();
    assertThat(TaskServer.exposureWarning(spec, "worker", 1)).isEmpty();
    assertThat(TaskServer.exposureWarning(spec)).isEmpty();
    assertThat(TaskServer.exposureWarning(ClusterSpec.parse("ps=127.0.0.1:5;worker=127.0.0.2:6")))
        .get(InstanceOfAssertFactories.STRING)
        .startsWith("the cluster's tasks listen on ports 5, 6 of every network interface, not only on loopback");
  }
}

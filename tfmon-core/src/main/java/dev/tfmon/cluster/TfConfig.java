package dev.tfmon.cluster;

import dev.tfmon.json.Json;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.proto.ServerDef;

/**
 * The {@code TF_CONFIG} environment variable in TensorFlow's format: the cluster and this process's
 * task, e.g. {@code {"cluster": {"ps": ["h0:2222"], "worker": ["h1:2222", "h2:2222"]}, "task":
 * {"type": "worker", "index": 0}}}. Other top-level keys ({@code "environment"}, {@code "rpc_layer"})
 * are ignored, as TensorFlow's estimators ignore what they do not use.
 *
 * <p>The task types of Kubernetes operators (Kubeflow's TFJob) and Estimators: {@code ps}, {@code
 * worker}, {@code chief} (a job of its own whose task 0 is the chief; without one, worker 0 is) and
 * {@code evaluator}, which is not part of the cluster: its config names a task outside the
 * cluster ({@link #isClusterMember()} is false), which has no server and no session target.
 *
 * <pre>{@code
 * TfConfig config = TfConfig.fromEnvironment().orElseThrow();
 * if (config.isClusterMember()) {
 *   TaskServer server = TaskServer.start(config.cluster(), config.taskType(), config.taskIndex());
 *   boolean chief = config.isChief();
 *   ...
 * }
 * }</pre>
 *
 * @param cluster the cluster
 * @param taskType this task's job name; a job of the cluster, or {@code evaluator}
 * @param taskIndex this task's index within its job
 */
public record TfConfig(ClusterSpec cluster, String taskType, int taskIndex) {
  /** The name of the environment variable. */
  public static final String ENV = "TF_CONFIG";

  /** The task type that evaluates checkpoints beside a cluster, outside of it. */
  public static final String EVALUATOR = "evaluator";

  public TfConfig {
    if (cluster == null) {
      throw new IllegalArgumentException("expected a cluster, but got null");
    }
    if (EVALUATOR.equals(taskType) && !cluster.hasJob(EVALUATOR)) {
      if (taskIndex < 0) {
        throw new IllegalArgumentException("expected a non-negative evaluator index, but got " + taskIndex);
      }
    } else {
      // address() names the job and the valid range when the task is not in the cluster
      cluster.address(taskType, taskIndex);
    }
  }

  /**
   * Parses a {@code TF_CONFIG} document.
   *
   * @throws IllegalArgumentException for invalid JSON, a missing or bad {@code cluster} or {@code
   *     task}, or a task not in the cluster; the message names the bad key and value
   */
  public static TfConfig parse(String json) {
    Object root = Json.parse(json);
    if (!(root instanceof Map)) {
      throw new IllegalArgumentException(
          "expected TF_CONFIG to be a JSON object, but got " + ClusterSpec.describe(root));
    }
    Map<?, ?> map = (Map<?, ?>) root;
    if (!map.containsKey("cluster")) {
      throw new IllegalArgumentException("TF_CONFIG has no \"cluster\"; keys are " + map.keySet());
    }
    ClusterSpec cluster = ClusterSpec.fromJsonValue(map.get("cluster"), "\"cluster\"");
    Object task = map.get("task");
    if (!(task instanceof Map)) {
      throw new IllegalArgumentException(
          "expected TF_CONFIG \"task\" to be an object with \"type\" and \"index\", but got "
              + (task == null ? "nothing" : ClusterSpec.describe(task)));
    }
    Object type = ((Map<?, ?>) task).get("type");
    Object index = ((Map<?, ?>) task).get("index");
    if (!(type instanceof String)) {
      throw new IllegalArgumentException(
          "expected TF_CONFIG task \"type\" to be a job name string, but got "
              + (type == null ? "nothing" : ClusterSpec.describe(type)));
    }
    if (index == null) {
      // TensorFlow defaults a missing index to 0
      index = 0L;
    }
    if (!(index instanceof Long) || (Long) index < 0 || (Long) index > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "expected TF_CONFIG task \"index\" to be a non-negative integer, but got "
              + ClusterSpec.describe(index));
    }
    return new TfConfig(cluster, (String) type, (int) (long) (Long) index);
  }

  /** {@link #parse} of the {@code TF_CONFIG} environment variable; empty if it is unset or blank. */
  public static Optional<TfConfig> fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /** {@link #parse} of {@code TF_CONFIG} in {@code environment}; empty if unset or blank. */
  public static Optional<TfConfig> fromEnvironment(Map<String, String> environment) {
    String value = environment.get(ENV);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(value));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad " + ENV + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether this task is the chief, by TensorFlow's rule: task 0 of job {@code chief}, or, when
   * the cluster has no {@code chief} job, task 0 of job {@code worker} ({@link
   * ClusterSpec#isChief}).
   */
  public boolean isChief() {
    return cluster.isChief(taskType, taskIndex);
  }

  /** Whether this task is one of the cluster's (false for an evaluator, which is not). */
  public boolean isClusterMember() {
    return cluster.hasJob(taskType);
  }

  /** {@code /job:worker/task:1}. */
  public String taskName() {
    return "/job:" + taskType + "/task:" + taskIndex;
  }

  /**
   * This task's session target, {@code grpc://host:port}.
   *
   * @throws IllegalStateException for a task outside the cluster (an evaluator)
   */
  public String target() {
    checkMember();
    return cluster.target(taskType, taskIndex);
  }

  /**
   * The {@code ServerDef} of this task.
   *
   * @throws IllegalStateException for a task outside the cluster (an evaluator)
   */
  public ServerDef toServerDef() {
    checkMember();
    return cluster.toServerDef(taskType, taskIndex);
  }

  private void checkMember() {
    if (!isClusterMember()) {
      throw new IllegalStateException(
          taskName() + " is not a task of the cluster (jobs " + cluster.jobNames() + "): it has no server");
    }
  }
}

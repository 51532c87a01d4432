package dev.tfmon.cli;

import dev.tfmon.cluster.ClusterSpec;
import dev.tfmon.cluster.ReplicaDeviceSetter;
import dev.tfmon.cluster.TfConfig;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The task a distributed command serves: from {@code --cluster/--job/--task} ({@link
 * ClusterOptions}), or from {@code TF_CONFIG} when {@code --cluster} is absent. Every bad value is a
 * usage error naming it. An {@code evaluator} outside the cluster is a task too ({@link
 * #isEvaluator()}): TF_CONFIG names one beside the cluster, as Kubernetes operators do.
 *
 * <pre>{@code
 * ClusterArgs me = ClusterArgs.resolve("ps=127.0.0.1:2222;worker=127.0.0.1:2223", "worker", 0, null, System.getenv())
 *     .orElseThrow();
 * }</pre>
 *
 * @param cluster the cluster
 * @param job this task's job
 * @param task this task's index in its job
 */
record ClusterArgs(ClusterSpec cluster, String job, int task) {

  /**
   * Resolves the task, or returns empty when neither {@code --cluster} nor {@code TF_CONFIG} is
   * given.
   *
   * @param clusterArg a JSON file, inline JSON, or {@code job=host:port,...;job=...}; null for none
   * @param job the job, or null for TF_CONFIG's (or {@code defaultJob})
   * @param task the task index, or null for TF_CONFIG's (or 0)
   * @throws CliException a usage error naming the bad value
   */
  static Optional<ClusterArgs> resolve(
      String clusterArg, String job, Integer task, String defaultJob, Map<String, String> env) {
    ClusterSpec spec;
    if (clusterArg != null) {
      spec = parseCluster(clusterArg);
    } else {
      Optional<TfConfig> config;
      try {
        config = TfConfig.fromEnvironment(env);
      } catch (IllegalArgumentException e) {
        throw CliException.usage(e.getMessage());
      }
      if (config.isEmpty()) {
        if (job != null || task != null) {
          throw CliException.usage("--job and --task need --cluster SPEC (or the TF_CONFIG environment variable)");
        }
        return Optional.empty();
      }
      spec = config.get().cluster();
      job = job != null ? job : config.get().taskType();
      task = task != null ? task : config.get().taskIndex();
    }
    String j = job != null ? job : defaultJob;
    int t = task != null ? task : 0;
    if (j == null) {
      throw CliException.usage("no --job given; the cluster's jobs are " + spec.jobNames());
    }
    try {
      // TfConfig accepts the tasks TF_CONFIG may name: one of the cluster's, or an evaluator
      new TfConfig(spec, j, t);
    } catch (IllegalArgumentException e) {
      throw CliException.usage("--job " + j + " --task " + t + ": " + e.getMessage());
    }
    return Optional.of(new ClusterArgs(spec, j, t));
  }

  /** Parses {@code --cluster}: inline JSON, the compact form, or the path of a JSON file. */
  static ClusterSpec parseCluster(String arg) {
    try {
      return ClusterSpec.fromArgument(arg);
    } catch (IllegalArgumentException e) {
      throw CliException.usage("--cluster '" + arg + "': " + e.getMessage());
    } catch (UncheckedIOException e) {
      throw CliException.usage("--cluster '" + arg + "': " + e.getMessage() + " (" + e.getCause().getMessage() + ")");
    }
  }

  /** Whether this is an evaluator beside the cluster rather than one of its tasks. */
  boolean isEvaluator() {
    return !cluster.hasJob(job);
  }

  /** What {@code tfmon server} prints before it exits as an evaluator: it has nothing to serve. */
  String evaluatorNote() {
    return taskName() + " is not a task of the cluster (jobs " + cluster.jobNames() + "): an evaluator serves nothing"
        + " ('tfmon train' with the chief's options evaluates the chief's checkpoints there); exiting";
  }

  /** Whether this task is the chief (TensorFlow's rule, {@link ClusterSpec#isChief}). */
  boolean isChief() {
    return cluster.isChief(job, task);
  }

  /** {@code /job:worker/task:1}. */
  String taskName() {
    return "/job:" + job + "/task:" + task;
  }

  /** The chief's name: {@code /job:chief/task:0}, or {@code /job:worker/task:0} without a chief job. */
  String chiefName() {
    return "/job:" + cluster.chiefJob() + "/task:0";
  }

  /** The tasks that train: every worker, and the chief job's task if there is one. */
  int replicas() {
    return cluster.numTasks("worker") + (cluster.hasJob("chief") ? cluster.numTasks("chief") : 0);
  }

  /** Variables on the ps tasks, this task's computation on this task's own job. */
  ReplicaDeviceSetter placement() {
    return ReplicaDeviceSetter.forCluster(cluster, "ps", job);
  }
}

package dev.tfmon.cli;

import dev.tfmon.cluster.ClusterSpec;
import dev.tfmon.cluster.TfConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The task a distributed command serves: from {@code --cluster/--job/--task}, or from {@code
 * TF_CONFIG} when {@code --cluster} is absent. Every bad value is a usage error naming it.
 *
 * <pre>{@code
 * ClusterArgs.Task me = ClusterArgs.resolve("ps=127.0.0.1:2222;worker=127.0.0.1:2223", "worker", 0, System.getenv());
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
      String clusterArg, String job, Integer task, String defaultJob, java.util.Map<String, String> env) {
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
      spec.address(j, t);
    } catch (IllegalArgumentException e) {
      throw CliException.usage("--job " + j + " --task " + t + ": " + e.getMessage());
    }
    return Optional.of(new ClusterArgs(spec, j, t));
  }

  /** Parses {@code --cluster}: inline JSON, the compact form, or the path of a JSON file. */
  static ClusterSpec parseCluster(String arg) {
    String text = arg.strip();
    try {
      if (text.startsWith("{") || text.contains("=")) {
        return ClusterSpec.parse(text);
      }
      Path file = Path.of(text);
      if (!Files.isRegularFile(file)) {
        throw CliException.usage(
            "--cluster '" + arg + "' is neither a JSON file, nor JSON, nor job=host:port[,host:port...][;job=...]");
      }
      return ClusterSpec.fromJsonFile(file);
    } catch (IllegalArgumentException e) {
      throw CliException.usage("--cluster '" + arg + "': " + e.getMessage());
    } catch (UncheckedIOException e) {
      IOException cause = e.getCause();
      throw CliException.usage("--cluster '" + arg + "': " + e.getMessage() + " (" + cause.getMessage() + ")");
    }
  }

  /** In a child process: halt when standard input ends, i.e. when the parent is gone. */
  static void exitOnStdinEof() {
    Thread watcher =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // only the end of the stream matters
                }
              } catch (IOException parentGone) {
                // a broken pipe means the same as EOF
              }
              // halt, not exit: a TF server has no clean shutdown to wait for
              Runtime.getRuntime().halt(3);
            },
            "stdin-eof-watch");
    watcher.setDaemon(true);
    watcher.start();
  }
}

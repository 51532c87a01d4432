package dev.tfmon.cli;

import dev.tfmon.process.ParentWatch;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options of a command that serves a cluster task ({@code train}, {@code server}), mixed into
 * each: {@code --cluster SPEC --job NAME --task I}, falling back to {@code TF_CONFIG}, and the hidden
 * {@code --exit-on-stdin-eof} that {@code tfmon cluster} gives its children.
 *
 * <pre>{@code
 * @Mixin ClusterOptions clusterOptions;
 * ...
 * Optional<ClusterArgs> me = clusterOptions.resolve("worker");
 * }</pre>
 */
final class ClusterOptions {
  /** The options {@code tfmon cluster} sets on each task itself. */
  static final List<String> SET_BY_CLUSTER = List.of("--cluster", "--job", "--task");

  @Option(names = "--cluster", paramLabel = "SPEC",
      description = "The TensorFlow cluster: a JSON file, inline JSON ({\"ps\": [\"host:port\"], ...}) or "
          + "ps=host:port;worker=host:port,host:port. Default: the TF_CONFIG environment variable, if set.")
  String cluster;

  @Option(names = "--job", paramLabel = "NAME",
      description = "This task's job: ps, worker or chief (default: TF_CONFIG's; for train: worker).")
  String job;

  @Option(names = "--task", paramLabel = "I", description = "This task's index in its job (default: TF_CONFIG's, or 0).")
  Integer task;

  /** Set by {@code tfmon cluster} on its children, so that they die with it. */
  @Option(names = "--exit-on-stdin-eof", hidden = true)
  boolean exitOnStdinEof;

  /**
   * This task, or empty when neither {@code --cluster} nor {@code TF_CONFIG} is given.
   *
   * @param defaultJob the job when neither {@code --job} nor TF_CONFIG names one (null: required)
   * @throws CliException a usage error naming the bad value
   */
  Optional<ClusterArgs> resolve(String defaultJob) {
    return ClusterArgs.resolve(cluster, job, task, defaultJob, System.getenv());
  }

  /** With {@code --exit-on-stdin-eof}: this process ends when its parent does. */
  void watchParent() {
    if (exitOnStdinEof) {
      ParentWatch.haltWhenStdinCloses();
    }
  }
}

package dev.tfmon.cluster;

import dev.tfmon.process.ParentWatch;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Command line entry point that serves one cluster task in this JVM and blocks until the process
 * is killed:
 *
 * <pre>
 * java -cp ... dev.tfmon.cluster.TaskServerMain --cluster ps=127.0.0.1:2222;worker=127.0.0.1:2223 --job ps --task 0
 * java -cp ... dev.tfmon.cluster.TaskServerMain --cluster cluster.json --job worker --task 1
 * TF_CONFIG='{"cluster": {...}, "task": {"type": "ps", "index": 0}}' java -cp ... dev.tfmon.cluster.TaskServerMain
 * </pre>
 *
 * <p>{@code --cluster} takes a JSON file, inline JSON, or the compact form of {@link
 * ClusterSpec#parse}; without it, {@code TF_CONFIG} gives cluster, job and task. Once serving it
 * prints one line {@value #READY_PREFIX}{@code grpc://host:port /job:ps/task:0} on standard output.
 * With {@code --exit-on-stdin-eof} the process also exits when its standard input closes, so a
 * parent that dies takes its children along ({@link LocalCluster} passes it). Bad arguments print
 * the reason and the usage on standard error and exit with status 2; a server TensorFlow cannot
 * start (a taken port) prints the reason and exits with status 1. An evaluator task of {@code
 * TF_CONFIG} is not part of the cluster: it prints that it has nothing to serve and exits with 0.
 */
public final class TaskServerMain {
  /** The start of the line printed once the server is up. */
  public static final String READY_PREFIX = "READY ";

  static final String USAGE =
      "usage: TaskServerMain [--cluster FILE|JSON|job=host:port,...;job=...] [--job NAME]"
          + " [--task INDEX] [--exit-on-stdin-eof]";

  private TaskServerMain() {}

  /** What the command line asks for. */
  record Options(ClusterSpec cluster, String job, int task, boolean exitOnStdinEof) {}

  public static void main(String[] args) {
    Options options;
    try {
      options = parse(args, TfConfig.fromEnvironment());
    } catch (IllegalArgumentException e) {
      System.err.println("TaskServerMain: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    if (options.exitOnStdinEof()) {
      ParentWatch.haltWhenStdinCloses();
    }
    if (!options.cluster().hasJob(options.job())) {
      System.out.println(
          "/job:" + options.job() + "/task:" + options.task() + " is not a task of the cluster (jobs "
              + options.cluster().jobNames() + "): an evaluator has nothing to serve");
      System.exit(0);
      return;
    }
    TaskServer server;
    try {
      server = TaskServer.start(options.cluster(), options.job(), options.task());
    } catch (IllegalStateException e) {
      System.err.println("TaskServerMain: " + e.getMessage());
      System.exit(1);
      return;
    }
    printReady(System.out, server);
    server.join();
  }

  /** Prints the ready line of {@code server}, which {@link LocalCluster} waits for. */
  public static void printReady(PrintStream out, TaskServer server) {
    out.println(readyLine(server));
    out.flush();
  }

  /** The ready line of {@code server}: {@code READY grpc://host:port /job:ps/task:0}. */
  public static String readyLine(TaskServer server) {
    return READY_PREFIX + server.target() + " /job:" + server.job() + "/task:" + server.task();
  }

  static Options parse(String[] args, Optional<TfConfig> tfConfig) {
    String clusterArg = null;
    String job = null;
    Integer task = null;
    boolean exitOnEof = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--cluster" -> clusterArg = value(args, ++i, a);
        case "--job" -> job = value(args, ++i, a);
        case "--task" -> {
          String v = value(args, ++i, a);
          try {
            task = Integer.parseInt(v);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                "expected a task index after --task, but got \"" + v + "\"");
          }
        }
        case "--exit-on-stdin-eof" -> exitOnEof = true;
        default -> throw new IllegalArgumentException("unknown argument \"" + a + "\"");
      }
    }
    ClusterSpec cluster;
    if (clusterArg != null) {
      try {
        cluster = ClusterSpec.fromArgument(clusterArg);
      } catch (IllegalArgumentException | UncheckedIOException e) {
        throw new IllegalArgumentException("--cluster '" + clusterArg + "': " + e.getMessage(), e);
      }
    } else if (tfConfig.isPresent()) {
      cluster = tfConfig.get().cluster();
      job = job != null ? job : tfConfig.get().taskType();
      task = task != null ? task : tfConfig.get().taskIndex();
    } else {
      throw new IllegalArgumentException("no --cluster given and TF_CONFIG is not set");
    }
    if (job == null) {
      throw new IllegalArgumentException("no --job given; jobs are " + cluster.jobNames());
    }
    if (task == null) {
      task = 0;
    }
    // TfConfig accepts what TF_CONFIG may name (an evaluator outside the cluster) and checks the rest
    new TfConfig(cluster, job, task);
    return new Options(cluster, job, task, exitOnEof);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException("expected a value after " + flag);
    }
    return args[i];
  }
}

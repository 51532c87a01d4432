package dev.tfmon.cluster;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * start (a taken port) prints the reason and exits with status 1.
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
      exitOnStdinEof();
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
    out.println(
        READY_PREFIX + server.target() + " /job:" + server.job() + "/task:" + server.task());
    out.flush();
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
      cluster = readCluster(clusterArg);
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
    cluster.address(job, task);
    return new Options(cluster, job, task, exitOnEof);
  }

  private static ClusterSpec readCluster(String arg) {
    String trimmed = arg.strip();
    if (!trimmed.startsWith("{") && !trimmed.contains("=")) {
      Path file = Path.of(trimmed);
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            "--cluster \"" + arg + "\" is neither a file, nor JSON, nor job=host:port,...");
      }
      return ClusterSpec.fromJsonFile(file);
    }
    return ClusterSpec.parse(trimmed);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException("expected a value after " + flag);
    }
    return args[i];
  }

  private static void exitOnStdinEof() {
    Thread watcher =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // keep reading: only the end of the stream matters
                }
              } catch (IOException ignored) {
                // a broken pipe means the parent is gone, as EOF does
              }
              // halt, not exit: the TF server has no clean shutdown to wait for
              Runtime.getRuntime().halt(3);
            },
            "stdin-eof-watch");
    watcher.setDaemon(true);
    watcher.start();
  }
}

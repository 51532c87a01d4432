package dev.tfmon.cli;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.cluster.ClusterSpec;
import dev.tfmon.cluster.LocalCluster;
import dev.tfmon.cluster.TaskServer;
import dev.tfmon.process.ChildProcess;
import dev.tfmon.summary.EventFileReader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;
import sun.misc.Signal;

/**
 * {@code tfmon cluster}: distributed training on this machine. Starts N parameter server tasks
 * ({@code tfmon server}) and M workers ({@code tfmon train --cluster ... --job worker --task I}),
 * each a child JVM on a free loopback port, streams their output prefixed {@code [ps0]}, {@code
 * [worker1]}, ..., waits for the workers, then kills the parameter servers. Worker 0 is the chief
 * and writes the checkpoints and event files into the {@code --model-dir} of the train arguments.
 *
 * <pre>{@code
 * tfmon cluster --ps 1 --workers 2 train --max-steps 2000 --model-dir runs/dist
 * tfmon cluster --ps 1 --workers 3 --sync --replicas-to-aggregate 2 train --max-steps 500
 * }</pre>
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run a training job on a local TensorFlow cluster: N ps and M worker processes on loopback ports.",
      "Everything after 'train' goes to each worker's 'tfmon train'. Worker 0 is the chief: it",
      "initializes or restores the model and writes checkpoints and summaries to --model-dir.",
      "Exit code 0 when every worker finished, 1 when a task failed; Ctrl-C kills every task."
    })
final class ClusterCommand implements Callable<Integer> {
  private static final int MAX_TASKS = 16;
  /** How long the workers may take to stop after Ctrl-C before they are killed. */
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);

  @Option(names = "--ps", defaultValue = "1", paramLabel = "N",
      description = "Parameter server tasks holding the variables (default: ${DEFAULT-VALUE}).")
  int ps;

  @Option(names = "--workers", defaultValue = "2", paramLabel = "M",
      description = "Worker tasks training the model (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--host-per-task",
      description = "Give each task a loopback address of its own (127.0.0.2, 127.0.0.3, ...), as if each ran on its own host.")
  boolean hostPerTask;

  @Option(names = "--sync",
      description = "Synchronous replicas: each step averages the workers' gradients (passes --sync to every worker's train).")
  boolean sync;

  @Option(names = "--replicas-to-aggregate", paramLabel = "N",
      description = "With --sync: gradients per step (default: all M workers; fewer leaves M-N backup workers).")
  Integer replicasToAggregate;

  @Option(names = "--start-timeout", defaultValue = "60s", paramLabel = "DURATION",
      description = "How long a task may take to start serving (default: ${DEFAULT-VALUE}).")
  String startTimeout;

  @Parameters(arity = "1..*", paramLabel = "train [OPTIONS]",
      description = "The job: 'train' and its options (see tfmon train --help), e.g. train --max-steps 500.")
  List<String> command;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The first SIGINT/SIGTERM received, or null. */
  private volatile Signal stopSignal;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    validate();
    Duration timeout = TrainingMonitoring.parseDuration("--start-timeout", startTimeout);
    if (timeout.isZero()) {
      throw CliException.usage("--start-timeout must be positive, but got " + startTimeout);
    }
    List<String> trainArgs = new ArrayList<>(command.subList(1, command.size()));
    if (sync) {
      trainArgs.add("--sync");
      if (replicasToAggregate != null) {
        trainArgs.addAll(List.of("--replicas-to-aggregate", replicasToAggregate.toString()));
      }
    }
    Path modelDir = Path.of(modelDir(trainArgs));
    Object printLock = new Object();
    // TensorFlow's C++ INFO lines come before its log level applies; hide them like ./tfmon does.
    boolean quietNative = !"0".equals(System.getenv("TF_CPP_MIN_LOG_LEVEL"));
    LocalCluster.Builder builder =
        LocalCluster.builder()
            .ps(ps)
            .workers(workers)
            .hostPerTask(hostPerTask)
            .startTimeout(timeout)
            .command((cluster, job, task) -> taskCommand(cluster, job, task, trainArgs))
            .outputListener(
                (task, line) -> {
                  // each task warns that it listens on every interface; LocalCluster warns once for all
                  if ((quietNative && isNativeInfo(line)) || line.contains(TaskServer.EXPOSURE_MARKER)) {
                    return;
                  }
                  synchronized (printLock) {
                    out.println("[" + shortName(task) + "] " + line);
                    out.flush();
                  }
                });
    installSignalHandlers();
    LocalCluster reserved;
    try {
      reserved = builder.reserve();
    } catch (IllegalStateException e) {
      throw CliException.failure((hostPerTask ? "--host-per-task: " : "") + e.getMessage(), e);
    }
    try (LocalCluster cluster = reserved) {
      synchronized (printLock) {
        out.printf("cluster: %s%n", cluster.spec().toCompactString());
        out.flush();
      }
      try {
        cluster.startAll();
      } catch (IllegalStateException e) {
        throw CliException.failure("the cluster did not start: " + e.getMessage(), e);
      }
      String failed = awaitWorkers(cluster);
      if (stopSignal != null) {
        return stopWorkers(cluster, out, printLock);
      }
      if (failed != null) {
        throw CliException.failure(failed);
      }
    }
    synchronized (printLock) {
      out.printf("all %d workers finished; the ps task%s stopped%n", workers, ps == 1 ? "" : "s");
      out.printf("checkpoint:  %s%n", Checkpoints.latestCheckpoint(modelDir).orElse("(none)"));
      List<Path> events = EventFileReader.eventFiles(modelDir);
      out.printf("event files: %s%n", events.isEmpty() ? "(none)" : events.get(events.size() - 1));
      out.printf("look inside: tfmon inspect %s; tfmon events %s%n", modelDir, modelDir);
      out.flush();
    }
    return 0;
  }

  /**
   * Ctrl-C or SIGTERM: tell the workers to stop (SIGTERM: each stops after its step, the chief with
   * a checkpoint), then kill everything. A second signal exits at once; the cluster's shutdown hook
   * still kills every task.
   */
  private void installSignalHandlers() {
    for (String name : new String[] {"INT", "TERM"}) {
      Signal.handle(new Signal(name), signal -> {
        if (stopSignal != null) {
          System.exit(128 + signal.getNumber());
        }
        stopSignal = signal;
      });
    }
  }

  private int stopWorkers(LocalCluster cluster, PrintWriter out, Object printLock) {
    synchronized (printLock) {
      out.printf("tfmon: SIG%s received: stopping the workers (the chief writes a checkpoint), then every task%n",
          stopSignal.getName());
      out.flush();
    }
    List<ChildProcess> workerTasks = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      ChildProcess p = cluster.task("worker", w);
      workerTasks.add(p);
      if (p.isAlive()) {
        // SIGTERM alone: a child that saw its standard input end would exit without its checkpoint
        p.terminate();
      }
    }
    long deadline = System.nanoTime() + STOP_GRACE.toNanos();
    for (ChildProcess p : workerTasks) {
      try {
        p.process().waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    synchronized (printLock) {
      for (ChildProcess p : workerTasks) {
        out.printf("%s: %s%n", shortName(p.name()),
            p.isAlive() ? "still running after " + STOP_GRACE.toSeconds() + " s, killed" : "exited with code " + p.process().exitValue());
      }
      out.flush();
    }
    cluster.close();
    return 128 + stopSignal.getNumber();
  }

  private void validate() {
    if (ps < 1 || ps > MAX_TASKS) {
      throw CliException.usage("--ps must be between 1 and " + MAX_TASKS + ", but got " + ps);
    }
    if (workers < 1 || workers > MAX_TASKS) {
      throw CliException.usage("--workers must be between 1 and " + MAX_TASKS + ", but got " + workers);
    }
    if (replicasToAggregate != null && !sync) {
      throw CliException.usage("--replicas-to-aggregate " + replicasToAggregate + " needs --sync");
    }
    if (replicasToAggregate != null && replicasToAggregate < 1) {
      throw CliException.usage("--replicas-to-aggregate must be positive, but got " + replicasToAggregate);
    }
    if (!command.get(0).equals("train")) {
      throw CliException.usage("expected the job 'train' after the cluster options, but got '" + command.get(0) + "'");
    }
    for (String arg : command) {
      for (String own : ClusterOptions.SET_BY_CLUSTER) {
        if (arg.equals(own) || arg.startsWith(own + "=")) {
          throw CliException.usage("tfmon cluster sets " + own + " of each worker itself; remove '" + arg + "'");
        }
      }
    }
  }

  /** The {@code --model-dir} of the train arguments, or train's default. */
  static String modelDir(List<String> trainArgs) {
    String dir = "runs/default";
    for (int i = 0; i < trainArgs.size(); i++) {
      String a = trainArgs.get(i);
      if (a.equals("--model-dir") && i + 1 < trainArgs.size()) {
        dir = trainArgs.get(i + 1);
      } else if (a.startsWith("--model-dir=")) {
        dir = a.substring("--model-dir=".length());
      }
    }
    return dir;
  }

  private static List<String> taskCommand(ClusterSpec cluster, String job, int task, List<String> trainArgs) {
    List<String> args = new ArrayList<>();
    args.add(job.equals("ps") ? "server" : "train");
    if (!job.equals("ps")) {
      args.addAll(trainArgs);
    }
    args.addAll(List.of("--cluster", cluster.toCompactString(), "--job", job, "--task", Integer.toString(task),
        "--exit-on-stdin-eof"));
    return ChildProcess.javaCommand(List.of("-Xmx512m", "-XX:+UseSerialGC"), TfmonCli.class.getName(), args);
  }

  /**
   * Waits until every worker exited or any task failed.
   *
   * @return null when every worker exited with 0, else what failed
   */
  private String awaitWorkers(LocalCluster cluster) {
    while (true) {
      if (stopSignal != null) {
        return null;
      }
      boolean running = false;
      for (int w = 0; w < workers; w++) {
        ChildProcess p = cluster.task("worker", w);
        if (p.isAlive()) {
          running = true;
        } else if (p.process().exitValue() != 0) {
          return "/job:worker/task:" + w + " failed with exit code " + p.process().exitValue();
        }
      }
      if (!running) {
        return null;
      }
      for (int t = 0; t < ps; t++) {
        ChildProcess p = cluster.task("ps", t);
        if (!p.isAlive()) {
          return "/job:ps/task:" + t + " exited with code " + p.process().exitValue() + " while the workers ran";
        }
      }
      try {
        // wakes as soon as worker 0 exits, else re-checks every task twice a second
        cluster.task("worker", 0).process().waitFor(500, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CliException.failure("interrupted while waiting for the workers", e);
      }
    }
  }

  /** TensorFlow's native INFO lines ("I0000 00:00:...") and absl's note that precedes them. */
  static boolean isNativeInfo(String line) {
    return line.startsWith("WARNING: All log messages before absl::InitializeLog()")
        || line.matches("I\\d{4} \\d\\d:\\d\\d:\\d+\\.\\d+ .*");
  }

  /** {@code /job:worker/task:1} → {@code worker1}. */
  static String shortName(String task) {
    return task.replace("/job:", "").replace("/task:", "");
  }
}

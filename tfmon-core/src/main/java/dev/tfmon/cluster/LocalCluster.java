package dev.tfmon.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TensorFlow cluster on this machine for trying distributed training and for tests: N parameter
 * server and M worker tasks, each a child JVM serving on a free loopback port. By default every task
 * runs {@link TaskServerMain}; a {@link TaskCommand} can run something else for some tasks (a worker
 * that serves and trains in one process, as TF 1.x programs do), provided it prints the {@value
 * TaskServerMain#READY_PREFIX} line once serving. {@link #close()} kills every task (SIGKILL: TF
 * servers have no clean shutdown); the children also exit when this JVM dies, because they watch
 * their standard input.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.builder().ps(1).workers(2).start()) {
 *   ClusterSpec spec = cluster.spec();
 *   String master = cluster.target("worker", 0);     // grpc://127.0.0.1:NNNNN
 *   ... train with sessions on master ...
 *   cluster.kill("ps", 0);                           // SIGKILL
 *   cluster.restart("ps", 0);                        // same port, waits for READY
 * }
 * }</pre>
 */
public final class LocalCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);

  /** Builds the command line of one task. */
  @FunctionalInterface
  public interface TaskCommand {
    List<String> command(ClusterSpec cluster, String job, int task);
  }

  private final ClusterSpec spec;
  private final TaskCommand command;
  private final Duration startTimeout;
  private final BiConsumer<String, String> outputListener;
  private final Map<String, TaskProcess> tasks = new LinkedHashMap<>();
  private final Thread shutdownHook;
  private boolean closed;

  private LocalCluster(Builder b, ClusterSpec spec) {
    this.spec = spec;
    this.command = b.command != null ? b.command : serverCommand(b.javaOptions);
    this.startTimeout = b.startTimeout;
    this.outputListener = b.outputListener;
    this.shutdownHook = new Thread(this::killAll, "local-cluster-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The default task command: {@link TaskServerMain} in a new JVM with this JVM's classpath.
   *
   * @param javaOptions extra JVM options such as {@code -Xmx256m}
   */
  public static TaskCommand serverCommand(List<String> javaOptions) {
    List<String> options = List.copyOf(javaOptions);
    return (cluster, job, task) ->
        javaCommand(
            options,
            TaskServerMain.class.getName(),
            List.of(
                "--cluster", cluster.toCompactString(),
                "--job", job,
                "--task", Integer.toString(task),
                "--exit-on-stdin-eof"));
  }

  /** {@code java [javaOptions] -cp <this JVM's classpath> mainClass args...}. */
  public static List<String> javaCommand(List<String> javaOptions, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(javaOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** The cluster: every task on {@code 127.0.0.1} with its own port. */
  public ClusterSpec spec() {
    return spec;
  }

  /** {@code grpc://127.0.0.1:port} of one task. */
  public String target(String job, int task) {
    return spec.target(job, task);
  }

  /**
   * Starts every task that is not running, all at once, then waits for each one's ready line.
   *
   * @throws IllegalStateException if a task exits or is not ready within the start timeout; the
   *     tasks already started keep running until {@link #close()}
   */
  public synchronized LocalCluster startAll() {
    List<TaskProcess> started = new ArrayList<>();
    for (String job : spec.jobNames()) {
      for (int t = 0; t < spec.numTasks(job); t++) {
        TaskProcess p = tasks.get(key(job, t));
        if (p == null || !p.isAlive()) {
          started.add(launch(job, t));
        }
      }
    }
    for (TaskProcess p : started) {
      p.awaitLine(TaskServerMain.READY_PREFIX, startTimeout);
    }
    return this;
  }

  /**
   * Starts one task and returns at once, without waiting for it to serve.
   *
   * @throws IllegalStateException if that task is running already
   */
  public synchronized TaskProcess launch(String job, int task) {
    checkOpen();
    spec.address(job, task);
    TaskProcess running = tasks.get(key(job, task));
    if (running != null && running.isAlive()) {
      throw new IllegalStateException(running + " is running already; kill it first");
    }
    List<String> cmd = command.command(spec, job, task);
    Process process;
    try {
      process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + key(job, task) + ": " + cmd, e);
    }
    TaskProcess p = new TaskProcess(key(job, task), process, outputListener);
    tasks.put(key(job, task), p);
    LOG.info("Launched {} (pid {}) at {}", p.name(), process.pid(), spec.address(job, task));
    return p;
  }

  /** Starts one task and waits for its ready line (see {@link #startAll()} for failures). */
  public TaskProcess start(String job, int task) {
    TaskProcess p = launch(job, task);
    p.awaitLine(TaskServerMain.READY_PREFIX, startTimeout);
    return p;
  }

  /**
   * The process of one task, started or not yet.
   *
   * @throws IllegalStateException if that task was never started
   */
  public synchronized TaskProcess task(String job, int task) {
    spec.address(job, task);
    TaskProcess p = tasks.get(key(job, task));
    if (p == null) {
      throw new IllegalStateException(key(job, task) + " was never started");
    }
    return p;
  }

  /** Kills one task with SIGKILL and waits until it is gone (no-op if it is not running). */
  public void kill(String job, int task) {
    TaskProcess p;
    synchronized (this) {
      spec.address(job, task);
      p = tasks.get(key(job, task));
    }
    if (p != null && p.isAlive()) {
      p.kill();
      LOG.info("Killed {}", p.name());
    }
  }

  /** Kills one task if it runs, starts it again on the same port and waits until it serves. */
  public TaskProcess restart(String job, int task) {
    kill(job, task);
    return start(job, task);
  }

  private synchronized void killAll() {
    for (TaskProcess p : tasks.values()) {
      if (p.isAlive()) {
        p.process().destroyForcibly();
      }
    }
    for (TaskProcess p : tasks.values()) {
      try {
        p.process().waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this LocalCluster is closed");
    }
  }

  /** Kills every task; safe to call twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is exiting and the hook runs (or ran) anyway
    }
  }

  private static String key(String job, int task) {
    return "/job:" + job + "/task:" + task;
  }

  /** Builds and starts a {@link LocalCluster}. */
  public static final class Builder {
    private int ps = 1;
    private int workers = 1;
    private final Map<String, Integer> extraJobs = new LinkedHashMap<>();
    private List<String> javaOptions = List.of("-Xmx256m", "-XX:+UseSerialGC");
    private TaskCommand command;
    private Duration startTimeout = Duration.ofSeconds(60);
    private BiConsumer<String, String> outputListener =
        (task, line) -> LOG.debug("{}: {}", task, line);

    private Builder() {}

    /** Number of parameter server tasks (job {@code ps}, default 1; 0 for none). */
    public Builder ps(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("expected a non-negative number of ps tasks, but got " + n);
      }
      this.ps = n;
      return this;
    }

    /** Number of worker tasks (job {@code worker}, default 1; 0 for none). */
    public Builder workers(int n) {
      if (n < 0) {
        throw new IllegalArgumentException(
            "expected a non-negative number of worker tasks, but got " + n);
      }
      this.workers = n;
      return this;
    }

    /** Another job with {@code n} tasks (e.g. {@code chief} or {@code evaluator}). */
    public Builder job(String name, int n) {
      if (n < 1) {
        throw new IllegalArgumentException(
            "expected at least one task for job \"" + name + "\", but got " + n);
      }
      extraJobs.put(name, n);
      return this;
    }

    /** JVM options of the default server command (default {@code -Xmx256m -XX:+UseSerialGC}). */
    public Builder javaOptions(List<String> options) {
      this.javaOptions = List.copyOf(options);
      return this;
    }

    /** The command line of each task (default {@link #serverCommand}). */
    public Builder command(TaskCommand taskCommand) {
      this.command = taskCommand;
      return this;
    }

    /** How long a task may take to print its ready line (default 60 s). */
    public Builder startTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("expected a positive start timeout, but got " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /** Receives every output line of every task with its task name (default: debug logging). */
    public Builder outputListener(BiConsumer<String, String> listener) {
      this.outputListener = listener;
      return this;
    }

    /** Picks free loopback ports and returns the cluster with no task started yet. */
    public LocalCluster reserve() {
      Map<String, List<String>> jobs = new LinkedHashMap<>();
      Set<Integer> taken = new HashSet<>();
      if (ps > 0) {
        jobs.put("ps", addresses(ps, taken));
      }
      if (workers > 0) {
        jobs.put("worker", addresses(workers, taken));
      }
      extraJobs.forEach((name, n) -> jobs.put(name, addresses(n, taken)));
      if (jobs.isEmpty()) {
        throw new IllegalArgumentException("expected at least one task, but got 0 ps and 0 workers");
      }
      return new LocalCluster(this, ClusterSpec.of(jobs));
    }

    /** {@link #reserve()}, then {@link LocalCluster#startAll()}; kills what started on failure. */
    public LocalCluster start() {
      LocalCluster cluster = reserve();
      try {
        return cluster.startAll();
      } catch (RuntimeException e) {
        cluster.close();
        throw e;
      }
    }

    private static List<String> addresses(int n, Set<Integer> taken) {
      List<String> out = new ArrayList<>();
      while (out.size() < n) {
        int port = freePort();
        if (taken.add(port)) {
          out.add("127.0.0.1:" + port);
        }
      }
      return out;
    }

    private static int freePort() {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException("no free loopback port", e);
      }
    }
  }
}

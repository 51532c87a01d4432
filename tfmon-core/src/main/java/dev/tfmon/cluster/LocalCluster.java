package dev.tfmon.cluster;

import dev.tfmon.process.ChildProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
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
 * server and M worker tasks, each a child JVM serving on a free port of a loopback address: all on
 * {@code 127.0.0.1}, or each task on an address of its own ({@code 127.0.0.2}, {@code 127.0.0.3},
 * ..., {@link Builder#hostPerTask}), as if each ran on its own host. By default every task runs
 * {@link TaskServerMain}; a {@link TaskCommand} can run something else for some tasks (a worker
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
 *
 * <p>Every task gets a port of its own even on distinct addresses: TensorFlow's gRPC server binds
 * its port on every interface of the machine (see {@link TaskServer}).
 */
public final class LocalCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
  private static final String LOOPBACK = "127.0.0.1";

  /** Builds the command line of one task. */
  @FunctionalInterface
  public interface TaskCommand {
    List<String> command(ClusterSpec cluster, String job, int task);
  }

  /** Environment variables of one task's process, on top of this JVM's. */
  @FunctionalInterface
  public interface TaskEnvironment {
    Map<String, String> environment(ClusterSpec cluster, String job, int task);
  }

  private final ClusterSpec spec;
  private final TaskCommand command;
  private final TaskEnvironment environment;
  private final Duration startTimeout;
  private final BiConsumer<String, String> outputListener;
  private final Map<String, ChildProcess> tasks = new LinkedHashMap<>();
  private final Thread shutdownHook;
  private boolean warned;
  private boolean closed;

  private LocalCluster(Builder b, ClusterSpec spec) {
    this.spec = spec;
    this.command = b.command != null ? b.command : serverCommand(b.javaOptions);
    this.environment = b.environment;
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
        ChildProcess.javaCommand(
            options,
            TaskServerMain.class.getName(),
            List.of(
                "--cluster", cluster.toCompactString(),
                "--job", job,
                "--task", Integer.toString(task),
                "--exit-on-stdin-eof"));
  }

  /** The cluster: every task on a loopback address with a port of its own. */
  public ClusterSpec spec() {
    return spec;
  }

  /** {@code grpc://127.0.0.N:port} of one task. */
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
    List<ChildProcess> started = new ArrayList<>();
    for (String job : spec.jobNames()) {
      for (int t = 0; t < spec.numTasks(job); t++) {
        ChildProcess p = tasks.get(key(job, t));
        if (p == null || !p.isAlive()) {
          started.add(launch(job, t));
        }
      }
    }
    for (ChildProcess p : started) {
      p.awaitLine(TaskServerMain.READY_PREFIX, startTimeout);
    }
    return this;
  }

  /**
   * Starts one task and returns at once, without waiting for it to serve.
   *
   * @throws IllegalStateException if that task is running already
   */
  public synchronized ChildProcess launch(String job, int task) {
    checkOpen();
    spec.address(job, task);
    ChildProcess running = tasks.get(key(job, task));
    if (running != null && running.isAlive()) {
      throw new IllegalStateException(running + " is running already; kill it first");
    }
    if (!warned) {
      warned = true;
      // the children warn too, each in its own output; a user of this class sees this one
      TaskServer.exposureWarning(spec).ifPresent(LOG::warn);
    }
    String name = key(job, task);
    ChildProcess p =
        ChildProcess.builder(name, command.command(spec, job, task))
            .environment(environment.environment(spec, job, task))
            .onOutputLine(line -> outputListener.accept(name, line))
            .start();
    tasks.put(name, p);
    LOG.info("Launched {} (pid {}) at {}", name, p.pid(), spec.address(job, task));
    return p;
  }

  /** Starts one task and waits for its ready line (see {@link #startAll()} for failures). */
  public ChildProcess start(String job, int task) {
    ChildProcess p = launch(job, task);
    p.awaitLine(TaskServerMain.READY_PREFIX, startTimeout);
    return p;
  }

  /**
   * The process of one task, started or not yet.
   *
   * @throws IllegalStateException if that task was never started
   */
  public synchronized ChildProcess task(String job, int task) {
    spec.address(job, task);
    ChildProcess p = tasks.get(key(job, task));
    if (p == null) {
      throw new IllegalStateException(key(job, task) + " was never started");
    }
    return p;
  }

  /** Kills one task with SIGKILL and waits until it is gone (no-op if it is not running). */
  public void kill(String job, int task) {
    ChildProcess p;
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
  public ChildProcess restart(String job, int task) {
    kill(job, task);
    return start(job, task);
  }

  private synchronized void killAll() {
    // SIGKILL to all first, then wait: the tasks die together rather than one after another
    for (ChildProcess p : tasks.values()) {
      if (p.isAlive()) {
        p.process().destroyForcibly();
      }
    }
    for (ChildProcess p : tasks.values()) {
      p.close();
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
    private TaskEnvironment environment = (cluster, job, task) -> Map.of();
    private boolean hostPerTask;
    private Duration startTimeout = Duration.ofSeconds(60);
    private BiConsumer<String, String> outputListener =
        (task, line) -> LOG.debug("{}: {}", task, line);

    private Builder() {}

    /** Number of parameter server tasks (job {@code ps}, default 1; 0 for none). */
    public Builder ps(int n) {
      this.ps = n;
      return this;
    }

    /** Number of worker tasks (job {@code worker}, default 1; 0 for none). */
    public Builder workers(int n) {
      this.workers = n;
      return this;
    }

    /** Another job with {@code n} tasks (e.g. {@code chief}). */
    public Builder job(String name, int n) {
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

    /** Environment variables of each task, such as its {@code TF_CONFIG} (default: none added). */
    public Builder environment(TaskEnvironment taskEnvironment) {
      this.environment = taskEnvironment;
      return this;
    }

    /**
     * Whether each task gets a loopback address of its own, {@code 127.0.0.2}, {@code 127.0.0.3},
     * ... in the order ps, worker, then the other jobs (default false: all on {@code 127.0.0.1}).
     * Linux routes all of {@code 127.0.0.0/8} to the loopback interface; elsewhere the addresses
     * must be added first (macOS: {@code sudo ifconfig lo0 alias 127.0.0.2}).
     */
    public Builder hostPerTask(boolean own) {
      this.hostPerTask = own;
      return this;
    }

    /** How long a task may take to print its ready line (default 60 s). */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = timeout;
      return this;
    }

    /** Receives every output line of every task with its task name (default: debug logging). */
    public Builder outputListener(BiConsumer<String, String> listener) {
      this.outputListener = listener;
      return this;
    }

    /**
     * Picks free ports (and, with {@link #hostPerTask}, addresses) and returns the cluster with no
     * task started yet.
     *
     * @throws IllegalArgumentException for a bad setting, naming it and its value
     * @throws IllegalStateException if a loopback address of {@link #hostPerTask} is not usable here
     */
    public LocalCluster reserve() {
      validate();
      Map<String, Integer> sizes = new LinkedHashMap<>();
      if (ps > 0) {
        sizes.put("ps", ps);
      }
      if (workers > 0) {
        sizes.put("worker", workers);
      }
      sizes.putAll(extraJobs);
      Map<String, List<String>> jobs = new LinkedHashMap<>();
      Set<Integer> taken = new HashSet<>();
      int hostIndex = 2;
      for (Map.Entry<String, Integer> job : sizes.entrySet()) {
        List<String> addresses = new ArrayList<>();
        for (int t = 0; t < job.getValue(); t++) {
          String host = hostPerTask ? loopbackHost(hostIndex++) : LOOPBACK;
          addresses.add(host + ":" + ListenPorts.freePort(taken));
        }
        jobs.put(job.getKey(), addresses);
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

    private void validate() {
      if (ps < 0) {
        throw new IllegalArgumentException("expected a non-negative number of ps tasks, but got " + ps);
      }
      if (workers < 0) {
        throw new IllegalArgumentException("expected a non-negative number of worker tasks, but got " + workers);
      }
      extraJobs.forEach(
          (name, n) -> {
            if (n < 1) {
              throw new IllegalArgumentException(
                  "expected at least one task for job \"" + name + "\", but got " + n);
            }
            if (name.equals("ps") || name.equals("worker")) {
              throw new IllegalArgumentException(
                  "job \"" + name + "\" is set with " + name + "(n), not job(\"" + name + "\", n)");
            }
          });
      if (ps + workers + extraJobs.size() == 0) {
        throw new IllegalArgumentException("expected at least one task, but got 0 ps and 0 workers");
      }
      if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("expected a positive start timeout, but got " + startTimeout);
      }
      if (environment == null) {
        throw new IllegalArgumentException("expected a task environment, but got null");
      }
      if (outputListener == null) {
        throw new IllegalArgumentException("expected an output listener, but got null");
      }
    }

    /** {@code 127.0.0.index}, once this machine is known to accept connections on it. */
    private static String loopbackHost(int index) {
      if (index > 254) {
        throw new IllegalArgumentException(
            "expected at most 253 tasks with hostPerTask, but task " + (index - 1) + " would need 127.0.0." + index);
      }
      String host = "127.0.0." + index;
      try (ServerSocket probe = new ServerSocket()) {
        probe.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 1);
      } catch (UnknownHostException e) {
        throw new IllegalStateException("cannot resolve " + host, e);
      } catch (IOException e) {
        throw new IllegalStateException(
            host + " is not a loopback address of this machine (" + e.getMessage() + "): Linux routes all of"
                + " 127.0.0.0/8 to the loopback interface; elsewhere add it first, e.g. sudo ifconfig lo0 alias " + host,
            e);
      }
      return host;
    }
  }
}

package dev.tfmon.metrics;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.Scalars;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.AbstractMonitoredSession;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.MBeanRegistrationException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.NotCompliantMBeanException;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;

/**
 * Feeds a {@link TrainingStats} from every run (global step, run duration, chosen scalar tensors)
 * and exposes the run as a {@link TrainingMXBean} named {@code tfmon:type=Training,name=<run>} in
 * the platform MBean server from {@code begin} until {@code end()} or {@link #close()}. The
 * MXBean's operations act at the next step boundary on the training thread: {@code requestStop()}
 * ends the loop cleanly, {@code saveCheckpointNow()} saves with the hook's saver.
 *
 * <p>It fetches the global step's read tensor (and the scalars) in one run out of {@link
 * Builder#fetchEveryNRuns(int) fetchEveryNRuns} (default 10), so the global step it shows may lag
 * by that many runs; run count, durations and requests are handled on every run. It needs no Micrometer; {@code TrainingMeters} binds the
 * same stats to a Micrometer registry.
 *
 * <pre>{@code
 * try (TrainingMetricsHook metrics = TrainingMetricsHook.builder(graph, "mnist")
 *         .saver(saver, "/train/model.ckpt").scalar("loss", loss).build();
 *     MonitoredSession session = MonitoredSession.builder(graph)
 *         .hook(metrics).recoveryListener(metrics.stats()).build()) {
 *   metrics.attach(session);                       // per-hook times
 *   session.runUntilStopped(s -> s.run(trainOp));  // until a JMX client calls requestStop()
 * }
 * }</pre>
 */
public final class TrainingMetricsHook implements SessionRunHook, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingMetricsHook.class);

  /**
   * How often the global step and scalars are fetched by default: one run in ten, which keeps the
   * hook within 2 % of a 60 µs step (an extra fetch in every run costs several percent there; see
   * docs/BENCHMARKS.md).
   */
  public static final int DEFAULT_FETCH_EVERY_N_RUNS = 10;

  private final Graph graph;
  private final TrainingStats stats;
  private final Saver saver;
  private final String checkpointPrefix;
  private final boolean finalCheckpoint;
  private final List<String> scalarNames;
  private final List<Output<?>> scalarTensors;
  private Output<?> stepRead;
  private final MBeanServer mbeanServer;
  private final ObjectName objectName;
  private final LongSupplier nanoClock;
  private final int fetchEveryNRuns;

  private SessionRunArgs runArgs;
  private long runStartNanos;
  private int runsUntilFetch;
  private boolean fetching;
  private volatile boolean stopRequested;
  private volatile boolean saveRequested;
  private boolean registered;

  private TrainingMetricsHook(Builder b) {
    this.graph = b.graph;
    this.stats = b.stats != null ? b.stats : new TrainingStats(b.runName, TrainingStats.DEFAULT_RATE_WINDOW, b.nanoClock);
    this.saver = b.saver;
    this.checkpointPrefix = b.checkpointPrefix;
    this.finalCheckpoint = b.finalCheckpoint && b.saver != null;
    this.scalarNames = List.copyOf(b.scalars.keySet());
    this.scalarTensors = List.copyOf(b.scalars.values());
    this.mbeanServer = b.registerMBean ? b.mbeanServer : null;
    this.objectName = objectName(b.runName);
    this.nanoClock = b.nanoClock;
    this.fetchEveryNRuns = b.fetchEveryNRuns;
  }

  /**
   * The ObjectName of a run's MXBean: {@code tfmon:type=Training,name=<runName>}, the name quoted
   * when it holds a character that ObjectName reserves ({@code , = : " * ?} or a newline).
   */
  public static ObjectName objectName(String runName) {
    String value = runName.matches(".*[,=:\"*?\\n].*") ? ObjectName.quote(runName) : runName;
    try {
      return new ObjectName("tfmon:type=Training,name=" + value);
    } catch (MalformedObjectNameException e) {
      throw new IllegalArgumentException("run name '" + runName + "' gives no valid ObjectName", e);
    }
  }

  /** A builder for the run {@code runName} of {@code graph} (which must have a global step). */
  public static Builder builder(Graph graph, String runName) {
    return new Builder(graph, runName);
  }

  /** The figures this hook records (shared with the MXBean and any Micrometer binding). */
  public TrainingStats stats() {
    return stats;
  }

  /** The name this hook registers its MXBean under. */
  public ObjectName objectName() {
    return objectName;
  }

  /** Takes per-hook times from {@code session} (call it once the session is built). */
  public void attach(AbstractMonitoredSession session) {
    stats.hookCostsFrom(session::hookCosts);
  }

  /** True once a stop was requested through the MXBean or {@link #requestStop()}. */
  public boolean isStopRequested() {
    return stopRequested;
  }

  /** Same as the MXBean's {@code requestStop()}: the loop ends after the current step. */
  public void requestStop() {
    stopRequested = true;
  }

  /**
   * Same as the MXBean's {@code saveCheckpointNow()}: a checkpoint is saved after the next run.
   *
   * @throws IllegalStateException if this hook has no saver
   */
  public void saveCheckpointNow() {
    if (saver == null) {
      throw new IllegalStateException(
          "run '" + stats.runName() + "' has no saver to save with: build its TrainingMetricsHook with saver(saver, prefix)");
    }
    saveRequested = true;
  }

  @Override
  public void begin(BeginContext context) {
    stepRead = GlobalStep.readTensor(graph);
    SessionRunArgs.Builder args = SessionRunArgs.builder().fetch(stepRead);
    scalarTensors.forEach(args::fetch);
    runArgs = args.build();
    register();
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    runStartNanos = nanoClock.getAsLong();
    // Runs that fetch nothing for any hook take the hooked session's fast path.
    fetching = --runsUntilFetch <= 0;
    if (fetching) {
      runsUntilFetch = fetchEveryNRuns;
      return runArgs;
    }
    return null;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    long now = nanoClock.getAsLong();
    stats.recordRun(now - runStartNanos);
    if (fetching) {
      stats.recordGlobalStep(values.getLong(stepRead));
      for (int i = 0; i < scalarNames.size(); i++) {
        // By index: the same tensor may stand under two names.
        String name = scalarNames.get(i);
        stats.recordScalar(name, Scalars.numberOf(values.get(i + 1), () -> name));
      }
    }
    if (saveRequested) {
      saveRequested = false;
      save(context.session(), "requested");
    }
    if (stopRequested) {
      context.requestStop();
    }
  }

  @Override
  public void end(RunnableSession session) {
    try {
      if (finalCheckpoint && session != null) {
        long step = GlobalStep.value(session);
        if (step != stats.lastCheckpointStep()) {
          save(session, "final checkpoint at a clean end");
        }
      }
    } finally {
      unregister();
    }
  }

  /** Unregisters the MXBean if it is still registered (e.g. the session closed after an error). */
  @Override
  public void close() {
    unregister();
  }

  private void save(RunnableSession session, String why) {
    long t0 = nanoClock.getAsLong();
    // Read the step now, not the stale value of the last run, so the file name matches its content.
    long step = GlobalStep.value(session);
    String path = saver.save(session, checkpointPrefix, step);
    long took = nanoClock.getAsLong() - t0;
    stats.recordCheckpoint(step, took);
    LOG.info("saved checkpoint {} at step {} in {} ms ({})", path, step, took / 1_000_000, why);
  }

  private synchronized void register() {
    if (mbeanServer == null || registered) {
      return;
    }
    try {
      mbeanServer.registerMBean(new MXBean(), objectName);
      registered = true;
    } catch (InstanceAlreadyExistsException e) {
      throw new IllegalStateException(
          "an MBean named " + objectName + " is already registered: give each concurrent training run its own name", e);
    } catch (MBeanRegistrationException | NotCompliantMBeanException e) {
      throw new IllegalStateException("could not register " + objectName, e);
    }
  }

  private synchronized void unregister() {
    if (!registered) {
      return;
    }
    registered = false;
    try {
      mbeanServer.unregisterMBean(objectName);
    } catch (InstanceNotFoundException e) {
      LOG.warn("MBean {} was already unregistered by someone else", objectName);
    } catch (MBeanRegistrationException e) {
      throw new IllegalStateException("could not unregister " + objectName, e);
    }
  }

  private static double millis(java.time.Duration d) {
    return d == null ? -1 : d.toNanos() / 1e6;
  }

  private static double seconds(java.time.Duration d) {
    return d == null ? -1 : d.toNanos() / 1e9;
  }

  /** The MXBean view; a separate object so the hook's own API stays small. */
  private final class MXBean implements TrainingMXBean {
    @Override
    public String getRunName() {
      return stats.runName();
    }

    @Override
    public long getGlobalStep() {
      return stats.globalStep();
    }

    @Override
    public long getStepsCompleted() {
      return stats.stepsCompleted();
    }

    @Override
    public double getStepsPerSecond() {
      return stats.stepsPerSecond();
    }

    @Override
    public double getLastStepDurationMillis() {
      return millis(stats.lastStepDuration());
    }

    @Override
    public double getSecondsSinceLastStep() {
      return seconds(stats.timeSinceLastStep());
    }

    @Override
    public long getLastCheckpointStep() {
      return stats.lastCheckpointStep();
    }

    @Override
    public double getCheckpointAgeSeconds() {
      return seconds(stats.checkpointAge());
    }

    @Override
    public double getCheckpointSaveDurationMillis() {
      return millis(stats.lastCheckpointSaveDuration());
    }

    @Override
    public Map<String, Long> getRecoveriesByCode() {
      Map<String, Long> out = new LinkedHashMap<>();
      stats.recoveries().forEach((code, n) -> out.put(code.name(), n));
      return out;
    }

    @Override
    public Map<String, Double> getHookTimeMillis() {
      Map<String, Double> out = new LinkedHashMap<>();
      stats
          .hookCosts()
          .hooks()
          .forEach(h -> out.merge(h.name(), (h.beforeRun().toNanos() + h.afterRun().toNanos()) / 1e6, Double::sum));
      return out;
    }

    @Override
    public long getStalls() {
      return stats.stalls();
    }

    @Override
    public Map<String, Double> getScalars() {
      return stats.scalars();
    }

    @Override
    public boolean isStopRequested() {
      return stopRequested;
    }

    @Override
    public void requestStop() {
      LOG.info("stop of run '{}' requested through JMX", stats.runName());
      TrainingMetricsHook.this.requestStop();
    }

    @Override
    public void saveCheckpointNow() {
      TrainingMetricsHook.this.saveCheckpointNow();
    }
  }

  /** Builds a {@link TrainingMetricsHook}; checks its settings at {@link #build()}. */
  public static final class Builder {
    private final Graph graph;
    private final String runName;
    private TrainingStats stats;
    private Saver saver;
    private String checkpointPrefix;
    private boolean finalCheckpoint = true;
    private final Map<String, Output<?>> scalars = new LinkedHashMap<>();
    private boolean registerMBean = true;
    private MBeanServer mbeanServer;
    private LongSupplier nanoClock = System::nanoTime;
    private int fetchEveryNRuns = DEFAULT_FETCH_EVERY_N_RUNS;

    private Builder(Graph graph, String runName) {
      this.graph = Objects.requireNonNull(graph, "graph");
      this.runName = Objects.requireNonNull(runName, "runName");
    }

    /**
     * Saves with {@code saver} to {@code prefix-<step>} on {@code saveCheckpointNow()} and, unless
     * {@link #finalCheckpoint(boolean) finalCheckpoint(false)}, at a clean end when the last
     * checkpoint is not at the current step.
     */
    public Builder saver(Saver saver, String prefix) {
      this.saver = Objects.requireNonNull(saver, "saver");
      this.checkpointPrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /** Whether a clean end writes a final checkpoint (default true; needs a saver). */
    public Builder finalCheckpoint(boolean write) {
      this.finalCheckpoint = write;
      return this;
    }

    /** Fetches the scalar tensor {@code tensor} in every run and records it as {@code name}. */
    public Builder scalar(String name, Operand<?> tensor) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(tensor, "tensor");
      if (name.isBlank()) {
        throw new IllegalArgumentException("expected a non-blank scalar name for " + GraphNames.tensorName(tensor) + ", but got \"" + name + "\"");
      }
      if (scalars.putIfAbsent(name, tensor.asOutput()) != null) {
        throw new IllegalArgumentException("scalar name '" + name + "' is already used for " + GraphNames.tensorName(scalars.get(name)));
      }
      return this;
    }

    /** Records into {@code shared} instead of new stats (whose run name must match). */
    public Builder stats(TrainingStats shared) {
      this.stats = Objects.requireNonNull(shared, "shared");
      return this;
    }

    /** Whether to register the MXBean (default true). */
    public Builder registerMBean(boolean register) {
      this.registerMBean = register;
      return this;
    }

    /** The MBean server to register with (default: the platform's). */
    public Builder mbeanServer(MBeanServer server) {
      this.mbeanServer = Objects.requireNonNull(server, "server");
      return this;
    }

    /**
     * Fetches the global step and the scalars in one run out of {@code n} (default {@value
     * #DEFAULT_FETCH_EVERY_N_RUNS}); the others fetch nothing and cost next to nothing. Run count,
     * durations, stop and save requests are handled on every run whatever {@code n}.
     *
     * @throws IllegalArgumentException if {@code n} is below 1
     */
    public Builder fetchEveryNRuns(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("expected fetchEveryNRuns of at least 1, but got " + n);
      }
      this.fetchEveryNRuns = n;
      return this;
    }

    /** The clock for run and save durations (tests pass a fake one). */
    public Builder clock(LongSupplier nanos) {
      this.nanoClock = Objects.requireNonNull(nanos, "nanos");
      return this;
    }

    /**
     * Builds the hook.
     *
     * @throws IllegalArgumentException for a blank run name, a prefix that is empty, a saver of
     *     another graph, a scalar of another graph, or shared stats of another run
     */
    public TrainingMetricsHook build() {
      if (runName.isBlank()) {
        throw new IllegalArgumentException("expected a non-blank run name, but got \"" + runName + "\"");
      }
      if (saver != null) {
        if (checkpointPrefix.isEmpty()) {
          throw new IllegalArgumentException("expected a checkpoint prefix such as /train/model.ckpt, but got \"\"");
        }
        if (saver.graph() != graph) {
          throw new IllegalArgumentException("the saver belongs to another graph than the hook's");
        }
      }
      for (Map.Entry<String, Output<?>> e : scalars.entrySet()) {
        if (e.getValue().env() != graph) {
          throw new IllegalArgumentException(
              "scalar '" + e.getKey() + "' (" + GraphNames.tensorName(e.getValue()) + ") belongs to another graph than the hook's");
        }
      }
      if (stats != null && !stats.runName().equals(runName)) {
        throw new IllegalArgumentException(
            "the shared stats are for run '" + stats.runName() + "', but this hook is for run '" + runName + "'");
      }
      if (registerMBean && mbeanServer == null) {
        mbeanServer = ManagementFactory.getPlatformMBeanServer();
      }
      return new TrainingMetricsHook(this);
    }
  }
}

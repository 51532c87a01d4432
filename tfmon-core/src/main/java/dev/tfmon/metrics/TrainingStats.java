package dev.tfmon.metrics;

import dev.tfmon.errors.StatusCode;
import dev.tfmon.hook.CheckpointSaverListener;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.session.HookCosts;
import dev.tfmon.session.RecoveryEvent;
import dev.tfmon.session.RecoveryListener;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The live figures of one training run, written by the training thread (through {@link
 * TrainingMetricsHook}, the session's {@link RecoveryListener} and {@link StallWatchdog}) and read
 * from any thread (the {@link TrainingMXBean}, {@code TrainingMeters}, your own code). It has no
 * dependency on JMX or Micrometer, so every exporter reads the same numbers.
 *
 * <pre>{@code
 * TrainingStats stats = metricsHook.stats();
 * MonitoredSession.builder(graph).hook(metricsHook).recoveryListener(stats).build();
 * System.out.printf("step %d at %.1f steps/s%n", stats.globalStep(), stats.stepsPerSecond());
 * }</pre>
 */
public final class TrainingStats implements RecoveryListener {
  /** How many recent steps {@link #stepsPerSecond()} spans by default. */
  public static final int DEFAULT_RATE_WINDOW = 64;

  private final String runName;
  private final LongSupplier nanoClock;

  // Ring of the last window step completions: written by the training thread, read by exporters.
  private final long[] windowNanos;
  private final long[] windowSteps;
  private int windowNext;
  private int windowSize;

  private volatile long globalStep = -1;
  private volatile long stepsCompleted;
  private volatile long totalStepNanos;
  private volatile long lastStepNanos = -1;
  private volatile long lastStepEndNanos;

  private volatile long lastCheckpointStep = -1;
  private volatile long lastCheckpointAtNanos;
  private volatile long lastCheckpointSaveNanos = -1;
  private volatile long checkpointsSaved;
  private volatile long totalCheckpointSaveNanos;

  private final Map<StatusCode, AtomicLong> recoveries = new ConcurrentHashMap<>();
  private final AtomicLong stalls = new AtomicLong();
  private final Map<String, Double> scalars = new ConcurrentHashMap<>();
  private volatile Supplier<HookCosts.Report> hookCosts;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  /** Stats for the run {@code runName}, timed by {@link System#nanoTime()}. */
  public TrainingStats(String runName) {
    this(runName, DEFAULT_RATE_WINDOW, System::nanoTime);
  }

  /**
   * Stats with an explicit rate window (in steps, at least 2) and clock (tests pass a fake one).
   *
   * @throws IllegalArgumentException for an empty run name or a window below 2
   */
  public TrainingStats(String runName, int rateWindow, LongSupplier nanoClock) {
    Objects.requireNonNull(runName, "runName");
    if (runName.isBlank()) {
      throw new IllegalArgumentException("expected a non-blank run name, but got \"" + runName + "\"");
    }
    if (rateWindow < 2) {
      throw new IllegalArgumentException("expected a rate window of at least 2 steps, but got " + rateWindow);
    }
    this.runName = runName;
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.windowNanos = new long[rateWindow];
    this.windowSteps = new long[rateWindow];
  }

  /** The run's name, as in the MBean's name and the meters' {@code run} tag. */
  public String runName() {
    return runName;
  }

  // ----------------------------------------------------------------------------------- writers

  /**
   * Records a completed run: the global step it read and how long it took. Call it yourself only
   * for a loop without {@link TrainingMetricsHook}.
   */
  public void recordStep(long step, long durationNanos) {
    recordRun(durationNanos);
    recordGlobalStep(step);
  }

  /** Records a completed run that did not read the global step. */
  public void recordRun(long durationNanos) {
    lastStepNanos = durationNanos;
    lastStepEndNanos = nanoClock.getAsLong();
    // Single writer (the training thread): plain read-modify-write of the volatiles is enough.
    totalStepNanos += durationNanos;
    stepsCompleted++;
  }

  /** Records the global step read by a run (feeds {@link #stepsPerSecond()}). */
  public void recordGlobalStep(long step) {
    long now = nanoClock.getAsLong();
    synchronized (windowNanos) {
      windowNanos[windowNext] = now;
      windowSteps[windowNext] = step;
      windowNext = (windowNext + 1) % windowNanos.length;
      if (windowSize < windowNanos.length) {
        windowSize++;
      }
    }
    globalStep = step;
  }

  /**
   * Records a checkpoint written at {@code step} whose save took {@code saveNanos}. {@link
   * TrainingMetricsHook} calls it for the saves it makes; a checkpoint-saver listener can call it
   * for the others.
   */
  public void recordCheckpoint(long step, long saveNanos) {
    lastCheckpointStep = step;
    lastCheckpointSaveNanos = saveNanos;
    lastCheckpointAtNanos = nanoClock.getAsLong();
    synchronized (this) {
      checkpointsSaved++;
      totalCheckpointSaveNanos += saveNanos;
    }
  }

  /** Records the latest value of a user-chosen scalar tensor, e.g. the loss. */
  public void recordScalar(String name, double value) {
    if (scalars.put(name, value) == null) {
      listeners.forEach(l -> l.scalarAdded(name));
    }
  }

  /** Counts a recovery by the status code of the error that ended the old session. */
  @Override
  public void onRecovery(RecoveryEvent event) {
    StatusCode code = event.cause().code();
    AtomicLong counter = recoveries.get(code);
    if (counter == null) {
      AtomicLong fresh = new AtomicLong();
      counter = recoveries.putIfAbsent(code, fresh);
      if (counter == null) {
        counter = fresh;
        fresh.incrementAndGet();
        listeners.forEach(l -> l.recoveryCodeAdded(code));
        return;
      }
    }
    counter.incrementAndGet();
  }

  /**
   * A listener for a {@code CheckpointSaverHook} that records each of its saves (step and save
   * duration), so that the checkpoint figures cover the saves this package does not make.
   *
   * <pre>{@code
   * CheckpointSaverHook.builder(dir).saveSteps(1000).listener(metrics.stats().checkpointListener()).build();
   * }</pre>
   */
  public CheckpointSaverListener checkpointListener() {
    return new CheckpointSaverListener() {
      private long startNanos;

      @Override
      public void beforeSave(RunnableSession session, long step) {
        startNanos = nanoClock.getAsLong();
      }

      @Override
      public boolean afterSave(RunnableSession session, long step) {
        recordCheckpoint(step, nanoClock.getAsLong() - startNanos);
        return false;
      }

      @Override
      public String toString() {
        return "checkpoint metrics of run '" + runName + "'";
      }
    };
  }

  /** Counts one stall (called by {@link StallWatchdog}, once per stall). */
  public void recordStall() {
    stalls.incrementAndGet();
  }

  /**
   * Where per-hook times come from, usually {@code session::hookCosts} of the monitored session
   * (which exists only after the hooks were built, hence a setter).
   */
  public void hookCostsFrom(Supplier<HookCosts.Report> source) {
    this.hookCosts = Objects.requireNonNull(source, "source");
    listeners.forEach(Listener::hookCostsAttached);
  }

  // ----------------------------------------------------------------------------------- readers

  /** The last global step recorded (read by a run, before or after its own increment), or -1. */
  public long globalStep() {
    return globalStep;
  }

  /** How many runs completed. */
  public long stepsCompleted() {
    return stepsCompleted;
  }

  /** The total time of the completed runs. */
  public Duration totalStepTime() {
    return Duration.ofNanos(totalStepNanos);
  }

  /**
   * Global steps per second over the last {@link #DEFAULT_RATE_WINDOW} (or the configured number
   * of) completed runs; 0 until two runs completed or when the step did not move.
   */
  public double stepsPerSecond() {
    long firstNanos;
    long firstStep;
    long lastNanos;
    long lastStep;
    synchronized (windowNanos) {
      if (windowSize < 2) {
        return 0;
      }
      int newest = (windowNext - 1 + windowNanos.length) % windowNanos.length;
      int oldest = (windowNext - windowSize + windowNanos.length) % windowNanos.length;
      firstNanos = windowNanos[oldest];
      firstStep = windowSteps[oldest];
      lastNanos = windowNanos[newest];
      lastStep = windowSteps[newest];
    }
    long elapsed = lastNanos - firstNanos;
    if (elapsed <= 0 || lastStep <= firstStep) {
      return 0;
    }
    return (lastStep - firstStep) * 1e9 / elapsed;
  }

  /** The duration of the last completed run, or null before any. */
  public Duration lastStepDuration() {
    long n = lastStepNanos;
    return n < 0 ? null : Duration.ofNanos(n);
  }

  /** Time since the last run completed, or null before any. */
  public Duration timeSinceLastStep() {
    long end = lastStepEndNanos;
    return stepsCompleted == 0 ? null : Duration.ofNanos(Math.max(0, nanoClock.getAsLong() - end));
  }

  /** The step of the last checkpoint recorded, or -1 before any. */
  public long lastCheckpointStep() {
    return lastCheckpointStep;
  }

  /** Time since the last checkpoint recorded, or null before any. */
  public Duration checkpointAge() {
    return lastCheckpointStep < 0
        ? null
        : Duration.ofNanos(Math.max(0, nanoClock.getAsLong() - lastCheckpointAtNanos));
  }

  /** How long the last checkpoint save took, or null before any. */
  public Duration lastCheckpointSaveDuration() {
    long n = lastCheckpointSaveNanos;
    return n < 0 ? null : Duration.ofNanos(n);
  }

  /** How many checkpoints were recorded. */
  public synchronized long checkpointsSaved() {
    return checkpointsSaved;
  }

  /** The total time of the recorded checkpoint saves. */
  public synchronized Duration totalCheckpointSaveTime() {
    return Duration.ofNanos(totalCheckpointSaveNanos);
  }

  /** Recoveries so far by status code (codes never seen are absent). */
  public Map<StatusCode, Long> recoveries() {
    Map<StatusCode, Long> out = new EnumMap<>(StatusCode.class);
    recoveries.forEach((code, n) -> out.put(code, n.get()));
    return Collections.unmodifiableMap(out);
  }

  /** How many stalls the watchdog reported. */
  public long stalls() {
    return stalls.get();
  }

  /** The latest value of each recorded scalar tensor. */
  public Map<String, Double> scalars() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
  }

  /** The latest value of scalar {@code name}, or NaN if never recorded. */
  public double scalar(String name) {
    Double v = scalars.get(name);
    return v == null ? Double.NaN : v;
  }

  /** Per-hook time so far, or an empty report when no session is attached. */
  public HookCosts.Report hookCosts() {
    Supplier<HookCosts.Report> source = hookCosts;
    return source == null ? new HookCosts.Report(0, Duration.ZERO, List.of()) : source.get();
  }

  /** True once {@link #hookCostsFrom} was called. */
  public boolean hasHookCosts() {
    return hookCosts != null;
  }

  // --------------------------------------------------------------------------------- listeners

  /**
   * Told when a new series appears, so that exporters can add a meter for it. Every method is a
   * no-op by default.
   */
  public interface Listener {
    /** A recovery with a status code not seen before happened. */
    default void recoveryCodeAdded(StatusCode code) {}

    /** A scalar was recorded for the first time. */
    default void scalarAdded(String name) {}

    /** {@link #hookCostsFrom} was called. */
    default void hookCostsAttached() {}
  }

  /** Adds a listener (see {@link Listener}). */
  public void addListener(Listener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Removes a listener added before. */
  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }
}

package dev.tfmon.metrics;

import dev.tfmon.errors.StatusCode;
import dev.tfmon.session.HookCosts;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Binds a run's {@link TrainingStats} to a Micrometer registry (Prometheus, JMX, OTLP...) under
 * stable meter names, every one tagged {@code run=<run name>}:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>extra tags</th></tr>
 *   <tr><td>{@code tfmon.global.step}</td><td>gauge</td><td></td></tr>
 *   <tr><td>{@code tfmon.steps}</td><td>function counter (completed runs)</td><td></td></tr>
 *   <tr><td>{@code tfmon.steps.per.second}</td><td>gauge</td><td></td></tr>
 *   <tr><td>{@code tfmon.step.duration}</td><td>function timer (count, total)</td><td></td></tr>
 *   <tr><td>{@code tfmon.step.last.duration}</td><td>time gauge</td><td></td></tr>
 *   <tr><td>{@code tfmon.step.idle}</td><td>time gauge (since the last completed run)</td><td></td></tr>
 *   <tr><td>{@code tfmon.checkpoint.step}</td><td>gauge (-1 before any)</td><td></td></tr>
 *   <tr><td>{@code tfmon.checkpoint.age}</td><td>time gauge (NaN before any)</td><td></td></tr>
 *   <tr><td>{@code tfmon.checkpoint.save.duration}</td><td>function timer</td><td></td></tr>
 *   <tr><td>{@code tfmon.recoveries}</td><td>function counter</td><td>{@code code}</td></tr>
 *   <tr><td>{@code tfmon.hook.duration}</td><td>function timer (runs, beforeRun + afterRun)</td><td>{@code hook}</td></tr>
 *   <tr><td>{@code tfmon.stalls}</td><td>function counter</td><td></td></tr>
 *   <tr><td>{@code tfmon.scalar}</td><td>gauge</td><td>{@code name}</td></tr>
 * </table>
 *
 * <p>Meters for a recovery code, a scalar or the hooks appear when first seen. Only this class
 * touches Micrometer (an optional dependency of tfmon-core): the MXBean works without it.
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * try (TrainingMeters meters = new TrainingMeters(metricsHook.stats())) {
 *   meters.bindTo(registry);
 *   session.runUntilStopped(s -> s.run(trainOp));
 * }
 * }</pre>
 */
public final class TrainingMeters implements MeterBinder, AutoCloseable {
  private final TrainingStats stats;
  private final Tags tags;
  private final List<MeterRegistry> registries = new ArrayList<>();
  private final List<Meter> meters = new ArrayList<>();
  private final java.util.Map<MeterRegistry, Set<String>> hooksBound = new java.util.IdentityHashMap<>();
  private final TrainingStats.Listener listener;

  /** Meters for {@code stats}, tagged {@code run=<run name>}. */
  public TrainingMeters(TrainingStats stats) {
    this(stats, Tags.empty());
  }

  /** Meters for {@code stats}, tagged {@code run=<run name>} and {@code extraTags}. */
  public TrainingMeters(TrainingStats stats, Iterable<Tag> extraTags) {
    this.stats = Objects.requireNonNull(stats, "stats");
    this.tags = Tags.of("run", stats.runName()).and(extraTags);
    this.listener =
        new TrainingStats.Listener() {
          @Override
          public void recoveryCodeAdded(StatusCode code) {
            forEachRegistry(r -> bindRecovery(r, code));
          }

          @Override
          public void scalarAdded(String name) {
            forEachRegistry(r -> bindScalar(r, name));
          }

          @Override
          public void hookCostsAttached() {
            forEachRegistry(TrainingMeters.this::bindHooks);
          }
        };
    stats.addListener(listener);
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    registries.add(registry);
    gauge(registry, "tfmon.global.step", "the global step read in the last run", null, TrainingStats::globalStep);
    add(FunctionCounter.builder("tfmon.steps", stats, TrainingStats::stepsCompleted)
        .description("completed runs").tags(tags).register(registry));
    gauge(registry, "tfmon.steps.per.second", "global steps per second over the recent runs", null, TrainingStats::stepsPerSecond);
    add(FunctionTimer.builder("tfmon.step.duration", stats, TrainingStats::stepsCompleted,
            s -> s.totalStepTime().toNanos(), TimeUnit.NANOSECONDS)
        .description("duration of the completed runs").tags(tags).register(registry));
    timeGauge(registry, "tfmon.step.last.duration", "duration of the last completed run", s -> nanos(s.lastStepDuration()));
    timeGauge(registry, "tfmon.step.idle", "time since the last completed run", s -> nanos(s.timeSinceLastStep()));
    gauge(registry, "tfmon.checkpoint.step", "step of the last checkpoint, -1 before any", null, TrainingStats::lastCheckpointStep);
    timeGauge(registry, "tfmon.checkpoint.age", "time since the last checkpoint, -1 before any", s -> nanos(s.checkpointAge()));
    add(FunctionTimer.builder("tfmon.checkpoint.save.duration", stats, TrainingStats::checkpointsSaved,
            s -> s.totalCheckpointSaveTime().toNanos(), TimeUnit.NANOSECONDS)
        .description("duration of the checkpoint saves").tags(tags).register(registry));
    add(FunctionCounter.builder("tfmon.stalls", stats, TrainingStats::stalls)
        .description("stalls reported by the watchdog").tags(tags).register(registry));
    stats.recoveries().keySet().forEach(code -> bindRecovery(registry, code));
    stats.scalars().keySet().forEach(name -> bindScalar(registry, name));
    bindHooks(registry);
  }

  /** Removes this binding's meters from every registry it was bound to. Safe to call twice. */
  @Override
  public synchronized void close() {
    stats.removeListener(listener);
    for (MeterRegistry r : registries) {
      meters.forEach(r::remove);
    }
    meters.clear();
    registries.clear();
    hooksBound.clear();
  }

  private synchronized void forEachRegistry(java.util.function.Consumer<MeterRegistry> action) {
    registries.forEach(action);
  }

  private void bindRecovery(MeterRegistry registry, StatusCode code) {
    add(FunctionCounter.builder("tfmon.recoveries", stats, s -> s.recoveries().getOrDefault(code, 0L))
        .description("session recoveries by the status code that caused them")
        .tags(tags).tag("code", code.name()).register(registry));
  }

  private void bindScalar(MeterRegistry registry, String name) {
    add(Gauge.builder("tfmon.scalar", stats, s -> s.scalar(name))
        .description("latest value of a monitored scalar tensor")
        .tags(tags).tag("name", name).strongReference(true).register(registry));
  }

  private void bindHooks(MeterRegistry registry) {
    if (!stats.hasHookCosts()) {
      return;
    }
    for (HookCosts.HookCost h : stats.hookCosts().hooks()) {
      String name = h.name();
      // Several hooks of one class share a name; one timer carries their sum.
      if (!hooksBound.computeIfAbsent(registry, r -> new HashSet<>()).add(name)) {
        continue;
      }
      add(FunctionTimer.builder("tfmon.hook.duration", stats, s -> s.hookCosts().runs(), s -> hookNanos(s, name), TimeUnit.NANOSECONDS)
          .description("time in a hook's beforeRun and afterRun")
          .tags(tags).tag("hook", name).register(registry));
    }
  }

  private static double hookNanos(TrainingStats s, String hook) {
    long sum = 0;
    for (HookCosts.HookCost h : s.hookCosts().hooks()) {
      if (h.name().equals(hook)) {
        sum += h.beforeRun().toNanos() + h.afterRun().toNanos();
      }
    }
    return sum;
  }

  private void gauge(MeterRegistry registry, String name, String description, String unit, ToDoubleFunction<TrainingStats> f) {
    add(Gauge.builder(name, stats, f).description(description).baseUnit(unit).tags(tags).strongReference(true).register(registry));
  }

  private void timeGauge(MeterRegistry registry, String name, String description, ToDoubleFunction<TrainingStats> nanos) {
    add(TimeGauge.builder(name, stats, TimeUnit.NANOSECONDS, nanos).description(description).tags(tags).strongReference(true).register(registry));
  }

  private void add(Meter meter) {
    meters.add(meter);
  }

  // "Not yet" is NaN: a -1 would turn into -1e-9 once scaled to the registry's base time unit.
  private static double nanos(Duration d) {
    return d == null ? Double.NaN : d.toNanos();
  }
}

package dev.tfmon.cli;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.metrics.JvmMeters;
import dev.tfmon.metrics.MetricsHttpServer;
import dev.tfmon.metrics.PrometheusExposition;
import dev.tfmon.metrics.StallWatchdog;
import dev.tfmon.metrics.TrainingMeters;
import dev.tfmon.metrics.TrainingMetricsHook;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.Operand;

/**
 * The operator's side of {@code tfmon train}: the run's MXBean ({@code tfmon:type=Training,name=<model
 * dir name>}, with {@code requestStop()} and {@code saveCheckpointNow()}), the stall watchdog
 * ({@code --stall-timeout}), and with {@code --metrics-port} a Prometheus {@code /metrics} endpoint on
 * {@code --metrics-host} (127.0.0.1 by default) with the training meters, the JVM's and the
 * process's, in OpenMetrics when the scraper asks for it.
 *
 * <pre>{@code
 * try (TrainingMonitoring monitoring = TrainingMonitoring.open(mtsBuilder, graph, task, settings, out)) {
 *   monitoring.session().runUntilStopped(s -> s.run(trainOp));
 * }
 * }</pre>
 */
final class TrainingMonitoring implements AutoCloseable {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  private final TrainingMetricsHook metrics;
  private final StallWatchdog watchdog;
  private final TrainingMeters meters;
  private final JvmMeters jvmMeters;
  private final MetricsHttpServer server;
  private MonitoredSession session;

  private TrainingMonitoring(
      TrainingMetricsHook metrics, StallWatchdog watchdog, TrainingMeters meters, JvmMeters jvmMeters, MetricsHttpServer server) {
    this.metrics = metrics;
    this.watchdog = watchdog;
    this.meters = meters;
    this.jvmMeters = jvmMeters;
    this.server = server;
  }

  /**
   * Starts the monitoring of a run and builds its session: the hooks and listeners go into {@code
   * mts} (the watchdog first of all, so it sees every other hook's run), the session is built and
   * its per-hook times attached. Closing the result closes the session, then the monitoring.
   */
  static TrainingMonitoring open(
      MonitoredTrainingSession.Builder mts, Graph graph, TrainingTask task, TrainSettings settings, PrintWriter out) {
    TrainingMonitoring m = start(graph, settings.runName(), settings.isChief() ? task.scaffold().saver() : null,
        settings.modelDir(), task.scalars(), settings.metrics(), settings.stallTimeout(), out);
    try {
      if (m.watchdog != null) {
        mts.chiefOnlyHook(m.watchdog);
      }
      mts.hook(m.metrics).recoveryListener(m.metrics.stats()).checkpointListener(m.metrics.stats().checkpointListener());
      m.session = mts.build();
      m.metrics.attach(m.session);
      return m;
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The monitored session built by {@link #open}. */
  MonitoredSession session() {
    return session;
  }

  /**
   * Builds the hooks and, with a port, starts serving {@code /metrics} (printing its address).
   *
   * @param saver the saver for {@code saveCheckpointNow()}, or null when there is nothing to save
   * @param endpoint where to serve /metrics, null for no endpoint
   * @param stallTimeout zero for no watchdog
   */
  private static TrainingMonitoring start(
      Graph graph, String runName, Saver saver, Path modelDir, Map<String, Operand<?>> scalars,
      MetricsEndpoint endpoint, Duration stallTimeout, PrintWriter out) {
    TrainingMetricsHook.Builder b = TrainingMetricsHook.builder(graph, runName);
    if (saver != null) {
      // The CheckpointSaverHook writes the final checkpoint; this saver only serves operator requests.
      b.saver(saver, modelDir.resolve("model.ckpt").toString()).finalCheckpoint(false);
    }
    scalars.forEach(b::scalar);
    TrainingMetricsHook metrics = b.build();
    StallWatchdog watchdog =
        stallTimeout.isZero() ? null : StallWatchdog.builder().stallTimeout(stallTimeout).stats(metrics.stats()).build();
    TrainingMeters meters = null;
    JvmMeters jvmMeters = null;
    MetricsHttpServer server = null;
    if (endpoint != null) {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      meters = new TrainingMeters(metrics.stats());
      meters.bindTo(registry);
      jvmMeters = new JvmMeters();
      jvmMeters.bindTo(registry);
      try {
        server = MetricsHttpServer.builder().host(endpoint.host()).port(endpoint.port())
            .exposition(PrometheusExposition.of(registry)).start();
      } catch (UncheckedIOException e) {
        meters.close();
        jvmMeters.close();
        if (watchdog != null) {
          watchdog.close();
        }
        throw CliException.failure("--metrics-port " + endpoint.port() + ": " + e.getMessage(), e);
      }
      out.printf("metrics: %s%n", server.url());
      out.flush();
    }
    return new TrainingMonitoring(metrics, watchdog, meters, jvmMeters, server);
  }

  /** True once a JMX client called {@code requestStop()}. */
  boolean stopRequested() {
    return metrics.isStopRequested();
  }

  @Override
  public void close() {
    try {
      if (session != null) {
        session.close();
      }
    } finally {
      closeMonitoring();
    }
  }

  private void closeMonitoring() {
    try {
      metrics.close();
    } finally {
      if (server != null) {
        server.close();
      }
      if (meters != null) {
        meters.close();
      }
      if (jvmMeters != null) {
        jvmMeters.close();
      }
      if (watchdog != null) {
        watchdog.close();
      }
    }
  }

  /**
   * Parses {@code 90s}, {@code 10m}, {@code 1h}, {@code 500ms}, or {@code 0} (off).
   *
   * @throws CliException a usage error naming the option and the value
   */
  static Duration parseDuration(String option, String text) {
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = DURATION.matcher(text);
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw CliException.usage(
          option + " must be a duration such as 90s, 10m or 1h (or 0 for off), but got '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      default:
        return Duration.ofHours(n);
    }
  }
}

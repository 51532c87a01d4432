package dev.tfmon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.testing.FreePorts;
import dev.tfmon.testing.Await;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;

/** /metrics over real HTTP on loopback, in the Prometheus text format, during a real run. */
class MetricsHttpServerTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir Path dir;

  @Test
  void scrapesDuringARunSeeTheStepGrowAndTheCheckpointMeters() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Graph g = new Graph();
        Training training = new Training("http-trainer")) {
      Model model = Model.build(g);
      Saver saver = Saver.create(g);
      TrainingMetricsHook metrics =
          TrainingMetricsHook.builder(g, "http-run")
              .saver(saver, dir.resolve("model.ckpt").toString())
              .scalar("loss", model.loss())
              .registerMBean(false)
              .build();
      try (TrainingMeters meters = new TrainingMeters(metrics.stats());
          MetricsHttpServer server = MetricsHttpServer.start(FreePorts.next(), registry::scrape)) {
        meters.bindTo(registry);
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
        Future<Training.Outcome> run = training.start(g, model, metrics, List.of(metrics), 2_000_000);

        Map<String, Double> first =
            Await.until("a scrape at step 20", DEADLINE, () -> scrape(uri), m -> m.getOrDefault("tfmon_global_step{run=\"http-run\"}", -1.0) >= 20);
        metrics.saveCheckpointNow();
        Map<String, Double> second =
            Await.until(
                "a scrape after a checkpoint",
                DEADLINE,
                () -> scrape(uri),
                m -> m.getOrDefault("tfmon_checkpoint_step{run=\"http-run\"}", -1.0) >= 0);
        metrics.requestStop();
        run.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        assertThat(second.get("tfmon_global_step{run=\"http-run\"}"))
            .isGreaterThan(first.get("tfmon_global_step{run=\"http-run\"}"));
        assertThat(second.get("tfmon_steps_total{run=\"http-run\"}"))
            .isGreaterThan(first.get("tfmon_steps_total{run=\"http-run\"}"));
        assertThat(second.get("tfmon_step_duration_seconds_count{run=\"http-run\"}")).isPositive();
        assertThat(second.get("tfmon_step_duration_seconds_sum{run=\"http-run\"}")).isPositive();
        // The checkpoint meters: absent values (NaN) before the save, figures after it.
        assertThat(first.get("tfmon_checkpoint_age_seconds{run=\"http-run\"}")).isNaN();
        assertThat(first.get("tfmon_checkpoint_step{run=\"http-run\"}")).isEqualTo(-1.0);
        assertThat(second.get("tfmon_checkpoint_step{run=\"http-run\"}")).isGreaterThan(first.get("tfmon_global_step{run=\"http-run\"}"));
        assertThat(second.get("tfmon_checkpoint_age_seconds{run=\"http-run\"}")).isGreaterThanOrEqualTo(0);
        assertThat(second.get("tfmon_checkpoint_save_duration_seconds_count{run=\"http-run\"}")).isEqualTo(1.0);
        assertThat(second).containsKey("tfmon_scalar{name=\"loss\",run=\"http-run\"}");
        assertThat(second).containsKey("tfmon_hook_duration_seconds_sum{hook=\"TrainingMetricsHook\",run=\"http-run\"}");
        assertThat(second.get("tfmon_stalls_total{run=\"http-run\"}")).isZero();

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("Content-Type")).contains(MetricsHttpServer.PROMETHEUS_TEXT);
        HttpResponse<String> elsewhere =
            client.send(HttpRequest.newBuilder(uri.resolve("/other")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(elsewhere.statusCode()).isEqualTo(404);
        HttpResponse<String> post =
            client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
      }
    }
  }

  @Test
  void aPortInUseOrOutOfRangeIsAClearError() {
    assertThatThrownBy(() -> MetricsHttpServer.start(70000, () -> ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a port between 0 and 65535, but got 70000");
    try (MetricsHttpServer first = MetricsHttpServer.start(0, () -> "")) {
      assertThatThrownBy(() -> MetricsHttpServer.start(first.port(), () -> ""))
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageStartingWith("cannot serve metrics on 127.0.0.1:" + first.port() + ": ");
    }
  }

  // issue 17: OpenMetrics when the scraper asks for it (Prometheus's Accept header), the text
  // format otherwise; JVM and process meters beside the training ones
  @Test
  void openMetricsWhenAskedForAndJvmMetersBeside() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Graph g = new Graph()) {
      Model.build(g);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "om-run").registerMBean(false).build();
      try (TrainingMeters meters = new TrainingMeters(metrics.stats());
           JvmMeters jvm = new JvmMeters();
           MetricsHttpServer server = MetricsHttpServer.builder().host("localhost").port(0)
               .exposition(PrometheusExposition.of(registry)).start()) {
        meters.bindTo(registry);
        jvm.bindTo(registry);
        URI uri = URI.create(server.url());
        assertThat(server.url()).isEqualTo("http://localhost:" + server.port() + "/metrics");
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();

        // What Prometheus 2.x and 3.x send by default.
        String prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
            + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        HttpResponse<String> open = get(uri, prometheus);
        assertThat(open.headers().firstValue("Content-Type")).contains(MetricsHttpServer.OPEN_METRICS_TEXT);
        assertThat(open.headers().firstValue("Vary")).contains("Accept");
        assertThat(open.body()).endsWith("# EOF\n").contains("tfmon_global_step{run=\"om-run\"}");
        HttpResponse<String> plain = get(uri, null);
        assertThat(plain.headers().firstValue("Content-Type")).contains(MetricsHttpServer.PROMETHEUS_TEXT);
        assertThat(plain.body()).doesNotContain("# EOF").contains("tfmon_global_step{run=\"om-run\"}");
        assertThat(get(uri, "text/plain;q=0.9,application/openmetrics-text;q=0.5").headers().firstValue("Content-Type"))
            .contains(MetricsHttpServer.PROMETHEUS_TEXT);

        Map<String, Double> series = parse(plain.body());
        for (String name : List.of("jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total", "jvm_threads_live_threads",
            "jvm_classes_loaded_classes", "process_cpu_usage", "system_cpu_count", "process_uptime_seconds",
            "process_files_open_files")) {
          assertThat(series.keySet()).as("series named " + name).anyMatch(k -> k.startsWith(name));
        }
        assertThat(series.get("jvm_threads_live_threads")).isPositive();
      }
    }
  }

  // issue 17: the content types are the Prometheus client's own
  @Test
  void contentTypesAreThePrometheusLibrarysOwn() {
    assertThat(MetricsHttpServer.OPEN_METRICS_TEXT)
        .isEqualTo(io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter.CONTENT_TYPE);
    assertThat(MetricsHttpServer.PROMETHEUS_TEXT)
        .isEqualTo(io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.CONTENT_TYPE);
  }

  // issue 17: the Accept header decides, by quality
  @Test
  void acceptHeadersChooseTheFormatByQuality() {
    assertThat(PrometheusExposition.prefersOpenMetrics("application/openmetrics-text; version=1.0.0")).isTrue();
    assertThat(PrometheusExposition.prefersOpenMetrics("text/plain;q=0.5,application/openmetrics-text;q=0.6")).isTrue();
    assertThat(PrometheusExposition.prefersOpenMetrics("application/openmetrics-text;q=0,text/plain")).isFalse();
    assertThat(PrometheusExposition.prefersOpenMetrics("*/*")).isFalse();
    assertThat(PrometheusExposition.prefersOpenMetrics("")).isFalse();
    assertThat(PrometheusExposition.prefersOpenMetrics("application/openmetrics-text;q=zero")).isFalse();
  }

  // issue 17: a host that cannot be served names itself; the builder needs a port and an exposition
  @Test
  void badHostsAndMissingSettingsAreClearErrors() {
    MetricsHttpServer.Exposition empty = MetricsHttpServer.Exposition.prometheusText(() -> "");
    assertThatThrownBy(() -> MetricsHttpServer.builder().host("bad host").port(0).exposition(empty).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown host 'bad host' to serve metrics on");
    assertThatThrownBy(() -> MetricsHttpServer.builder().host(" ").port(0).exposition(empty).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a host name or address to serve metrics on, but got ' '");
    assertThatThrownBy(() -> MetricsHttpServer.builder().exposition(empty).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no port set: call port(int), 0 for a free one");
    assertThatThrownBy(() -> MetricsHttpServer.builder().port(0).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no exposition set: call exposition(...)");
    try (MetricsHttpServer first = MetricsHttpServer.builder().host("127.0.0.2").port(0).exposition(empty).start()) {
      assertThat(first.url()).isEqualTo("http://127.0.0.2:" + first.port() + "/metrics");
      assertThatThrownBy(() -> MetricsHttpServer.builder().host("127.0.0.2").port(first.port()).exposition(empty).start())
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageStartingWith("cannot serve metrics on 127.0.0.2:" + first.port() + ": ");
    }
  }

  private HttpResponse<String> get(URI uri, String accept) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri);
    if (accept != null) {
      request.header("Accept", accept);
    }
    HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response;
  }

  /** One scrape, parsed: series (name with its labels, as written) to value; comments skipped. */
  private Map<String, Double> scrape(URI uri) {
    HttpResponse<String> response;
    try {
      response = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    assertThat(response.statusCode()).isEqualTo(200);
    return parse(response.body());
  }

  /** Series (name with its labels, as written) to value; comments skipped. */
  private static Map<String, Double> parse(String body) {
    Map<String, Double> series = new LinkedHashMap<>();
    for (String line : body.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int split = line.lastIndexOf(' ');
      series.put(line.substring(0, split), Double.parseDouble(line.substring(split + 1)));
    }
    return series;
  }
}

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
    Map<String, Double> series = new LinkedHashMap<>();
    for (String line : response.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int split = line.lastIndexOf(' ');
      series.put(line.substring(0, split), Double.parseDouble(line.substring(split + 1)));
    }
    return series;
  }
}

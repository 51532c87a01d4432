package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tfmon train --metrics-port / --metrics-host / --stall-timeout}: a real HTTP client scrapes a real run. */
@Tag("multiprocess")
class MetricsCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir Path work;

  @Test
  void scrapesOfMetricsDuringARunSeeTheStepGrowAndTheCheckpointMeters() {
    int port = freePort();
    Path dir = work.resolve("scraped");
    CliProcess.Result r;
    Map<String, Double> first;
    Map<String, Double> second;
    try (CliProcess p = CliProcess.start(work, "train", "--model-dir", dir.toString(), "--max-steps", "10000000",
        "--log-steps", "100", "--summary-steps", "0", "--save-checkpoint-steps", "50", "--metrics-port", String.valueOf(port),
        "--stall-timeout", "5m")) {
      assertThat(p.awaitLine("metrics: ", TIMEOUT)).isEqualTo("metrics: http://127.0.0.1:" + port + "/metrics");
      URI uri = URI.create("http://127.0.0.1:" + port + "/metrics");
      String step = "tfmon_global_step{run=\"scraped\"}";
      String ckpt = "tfmon_checkpoint_step{run=\"scraped\"}";
      first = scrapeUntil(uri, m -> m.getOrDefault(step, -1.0) >= 20);
      double firstStep = first.get(step);
      second = scrapeUntil(uri, m -> m.get(step) > firstStep && m.getOrDefault(ckpt, -1.0) >= 50);
      p.terminate();
      r = p.await(TIMEOUT);
    }
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(143);
    assertThat(r.err()).as("no warning on loopback").doesNotContain("--metrics-host");
    assertThat(second.get("tfmon_steps_total{run=\"scraped\"}")).isGreaterThan(first.get("tfmon_steps_total{run=\"scraped\"}"));
    // The checkpoint meters follow the CheckpointSaverHook's saves (every 50 steps).
    assertThat(second.get("tfmon_checkpoint_step{run=\"scraped\"}") % 50).isZero();
    assertThat(second.get("tfmon_checkpoint_age_seconds{run=\"scraped\"}")).isGreaterThanOrEqualTo(0);
    // at least the save at step 50 (no step-0 save: nothing is written before a first step, issue 11 item 4)
    assertThat(second.get("tfmon_checkpoint_save_duration_seconds_count{run=\"scraped\"}")).isGreaterThanOrEqualTo(1);
    assertThat(second).containsKey("tfmon_step_duration_seconds_sum{run=\"scraped\"}");
    assertThat(second).containsKey("tfmon_scalar{name=\"loss\",run=\"scraped\"}");
    assertThat(second).containsKey("tfmon_hook_duration_seconds_count{hook=\"StallWatchdog\",run=\"scraped\"}");
    assertThat(second.get("tfmon_stalls_total{run=\"scraped\"}")).isZero();
  }

  @Test
  void badStallTimeoutAndMetricsPortAreUsageErrorsNamingTheValue() {
    CliProcess.Result badTimeout = CliProcess.run(work, TIMEOUT, "train", "--stall-timeout", "5x");
    assertThat(badTimeout.exitCode()).as(badTimeout.toString()).isEqualTo(2);
    assertThat(badTimeout.err().split("\n")[0])
        .isEqualTo("tfmon: error: --stall-timeout must be a duration such as 90s, 10m or 1h (or 0 for off), but got '5x'");
    CliProcess.Result badPort = CliProcess.run(work, TIMEOUT, "train", "--metrics-port", "70000");
    assertThat(badPort.exitCode()).as(badPort.toString()).isEqualTo(2);
    assertThat(badPort.err().split("\n")[0]).isEqualTo("tfmon: error: --metrics-port must be between 0 and 65535, but got 70000");
  }

  // issue 17: --metrics-host lets a Prometheus server elsewhere scrape, with one warning line; the
  // answer is OpenMetrics when asked for, with the JVM and process meters
  @Test
  void metricsHostServesEveryInterfaceWithAWarningAndOpenMetrics() throws Exception {
    Path dir = work.resolve("wide");
    CliProcess.Result r;
    HttpResponse<String> open;
    try (CliProcess p = CliProcess.start(work, "train", "--model-dir", dir.toString(), "--max-steps", "10000000",
        "--log-steps", "100", "--summary-steps", "0", "--metrics-host", "0.0.0.0", "--metrics-port", "0")) {
      String line = p.awaitLine("metrics: ", TIMEOUT);
      assertThat(line).matches("metrics: http://0\\.0\\.0\\.0:[0-9]+/metrics");
      int port = Integer.parseInt(line.replaceAll(".*:([0-9]+)/metrics", "$1"));
      // Scraped over loopback: 0.0.0.0 includes it.
      URI uri = URI.create("http://127.0.0.1:" + port + "/metrics");
      scrapeUntil(uri, m -> m.getOrDefault("tfmon_global_step{run=\"wide\"}", -1.0) >= 1);
      open = client.send(HttpRequest.newBuilder(uri)
          .header("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2")
          .build(), HttpResponse.BodyHandlers.ofString());
      p.terminate();
      r = p.await(TIMEOUT);
    }
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(143);
    assertThat(r.err().lines().filter(l -> l.startsWith("tfmon: warning:")).toList()).containsExactly(
        "tfmon: warning: --metrics-host 0.0.0.0 is not a loopback address: every host that can reach this one "
            + "can read /metrics (no authentication)");
    assertThat(open.headers().firstValue("Content-Type")).hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(open.body()).endsWith("# EOF\n")
        .contains("tfmon_global_step{run=\"wide\"}", "jvm_memory_used_bytes{", "jvm_threads_live_threads ",
            "process_cpu_usage ", "process_uptime_seconds ", "jvm_gc_memory_allocated_bytes_total ");
  }

  // issue 17: a host that is not one, or a host without a port, is a usage error naming it
  @Test
  void badMetricsHostsAreUsageErrors() {
    CliProcess.Result unknown = CliProcess.run(work, TIMEOUT, "train", "--metrics-host", "bad host", "--metrics-port", "0");
    assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(2);
    assertThat(unknown.err().split("\n")[0]).isEqualTo("tfmon: error: --metrics-host: unknown host 'bad host' to serve metrics on");
    CliProcess.Result noPort = CliProcess.run(work, TIMEOUT, "train", "--metrics-host", "0.0.0.0");
    assertThat(noPort.exitCode()).as(noPort.toString()).isEqualTo(2);
    assertThat(noPort.err().split("\n")[0]).isEqualTo("tfmon: error: --metrics-host 0.0.0.0 needs --metrics-port PORT");
    assertThat(work.resolve("runs")).doesNotExist();
  }

  private Map<String, Double> scrapeUntil(URI uri, Predicate<Map<String, Double>> done) {
    return Await.until("a scrape of " + uri + " to match", TIMEOUT, () -> scrape(uri), done);
  }


  /** One scrape in the Prometheus text format: series (name and labels as written) to value. */
  private Map<String, Double> scrape(URI uri) {
    HttpResponse<String> response;
    try {
      response = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    assertThat(response.statusCode()).isEqualTo(200);
    Map<String, Double> series = new LinkedHashMap<>();
    for (String line : response.body().split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        int split = line.lastIndexOf(' ');
        series.put(line.substring(0, split), Double.parseDouble(line.substring(split + 1)));
      }
    }
    return series;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

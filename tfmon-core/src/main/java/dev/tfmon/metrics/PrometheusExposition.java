package dev.tfmon.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code /metrics} from Micrometer's {@link PrometheusMeterRegistry}: OpenMetrics 1.0 text when the
 * scraper's {@code Accept} header prefers it (as Prometheus does), else the Prometheus text format
 * 0.0.4 (curl, older scrapers). Needs {@code micrometer-registry-prometheus}, an optional
 * dependency of tfmon-core.
 *
 * <pre>{@code
 * MetricsHttpServer server = MetricsHttpServer.builder().port(9464)
 *     .exposition(PrometheusExposition.of(registry)).start();
 * }</pre>
 */
public final class PrometheusExposition implements MetricsHttpServer.Exposition {
  private static final String OPEN_METRICS = "application/openmetrics-text";

  private final PrometheusMeterRegistry registry;

  private PrometheusExposition(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  /** The exposition of {@code registry}. */
  public static PrometheusExposition of(PrometheusMeterRegistry registry) {
    return new PrometheusExposition(Objects.requireNonNull(registry, "registry"));
  }

  @Override
  public MetricsHttpServer.Scrape scrape(String accept) {
    String type = prefersOpenMetrics(accept) ? MetricsHttpServer.OPEN_METRICS_TEXT : MetricsHttpServer.PROMETHEUS_TEXT;
    return new MetricsHttpServer.Scrape(type, registry.scrape(type));
  }

  /**
   * Whether an {@code Accept} header ranks OpenMetrics text at least as high as plain text: its
   * quality ({@code q}) is above 0 and not below that of {@code text/plain}, {@code text/*} or
   * {@code *}{@code /*}. No header, or one that does not name OpenMetrics, means plain text.
   */
  static boolean prefersOpenMetrics(String accept) {
    if (accept == null) {
      return false;
    }
    double openMetrics = 0;
    double text = 0;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].strip().toLowerCase(Locale.ROOT);
      double q = 1;
      for (int i = 1; i < parts.length; i++) {
        String param = parts[i].strip();
        if (param.startsWith("q=")) {
          try {
            q = Double.parseDouble(param.substring(2));
          } catch (NumberFormatException e) {
            q = 0;   // a malformed range counts for nothing
          }
        }
      }
      if (type.equals(OPEN_METRICS)) {
        openMetrics = Math.max(openMetrics, q);
      } else if (type.equals("text/plain") || type.equals("text/*") || type.equals("*/*")) {
        text = Math.max(text, q);
      }
    }
    return openMetrics > 0 && openMetrics >= text;
  }
}

package dev.tfmon.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /metrics} on 127.0.0.1 with the JDK's built-in HTTP server: the body is
 * whatever the scrape function returns, typically {@code PrometheusMeterRegistry::scrape} (so this
 * class needs no Micrometer, and no web framework). One daemon thread answers requests.
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * new TrainingMeters(metrics.stats()).bindTo(registry);
 * try (MetricsHttpServer server = MetricsHttpServer.start(9464, registry::scrape)) {
 *   session.runUntilStopped(s -> s.run(trainOp));     // curl http://127.0.0.1:9464/metrics
 * }
 * }</pre>
 */
public final class MetricsHttpServer implements AutoCloseable {
  /** The Prometheus text exposition format's content type. */
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private static final Logger LOG = LoggerFactory.getLogger(MetricsHttpServer.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private boolean closed;

  private MetricsHttpServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Starts serving {@code scrape()} at {@code http://127.0.0.1:<port>/metrics}.
   *
   * @param port the port, or 0 for a free one (see {@link #port()})
   * @throws IllegalArgumentException if the port is outside 0..65535
   * @throws UncheckedIOException if the port cannot be bound (e.g. already in use)
   */
  public static MetricsHttpServer start(int port, Supplier<String> scrape) {
    return start(port, scrape, PROMETHEUS_TEXT);
  }

  /** As {@link #start(int, Supplier)} with an explicit content type. */
  public static MetricsHttpServer start(int port, Supplier<String> scrape, String contentType) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("expected a port between 0 and 65535, but got " + port);
    }
    Objects.requireNonNull(scrape, "scrape");
    Objects.requireNonNull(contentType, "contentType");
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tfmon-metrics-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/metrics", exchange -> answer(exchange, scrape, contentType));
    server.start();
    MetricsHttpServer started = new MetricsHttpServer(server, executor);
    LOG.info("serving metrics at http://127.0.0.1:{}/metrics", started.port());
    return started;
  }

  /** The port it listens on (the chosen one when started with 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange exchange, Supplier<String> scrape, String contentType) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      if (!exchange.getRequestURI().getPath().equals("/metrics")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body;
      try {
        body = scrape.get().getBytes(StandardCharsets.UTF_8);
      } catch (RuntimeException e) {
        LOG.error("metrics scrape failed", e);
        byte[] error = ("scrape failed: " + e).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(500, error.length);
        exchange.getResponseBody().write(error);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", contentType);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops serving at once. Safe to call twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop(0);
    executor.shutdownNow();
  }
}

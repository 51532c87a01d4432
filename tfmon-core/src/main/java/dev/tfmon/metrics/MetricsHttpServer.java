package dev.tfmon.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /metrics} with the JDK's built-in HTTP server, on 127.0.0.1 unless told
 * otherwise: the body comes from an {@link Exposition}, which sees the scraper's {@code Accept}
 * header and picks the format (so this class needs no Micrometer, and no web framework). {@link
 * PrometheusExposition} answers with Micrometer's Prometheus registry, in OpenMetrics when the
 * scraper asks for it. One daemon thread answers requests.
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * new TrainingMeters(metrics.stats()).bindTo(registry);
 * try (MetricsHttpServer server = MetricsHttpServer.builder()
 *         .host("0.0.0.0").port(9464)                  // every interface: no authentication!
 *         .exposition(PrometheusExposition.of(registry)).start()) {
 *   session.runUntilStopped(s -> s.run(trainOp));     // curl http://127.0.0.1:9464/metrics
 * }
 * }</pre>
 */
public final class MetricsHttpServer implements AutoCloseable {
  /** The Prometheus text exposition format's content type. */
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  /** The content type of OpenMetrics 1.0 text. */
  public static final String OPEN_METRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private static final Logger LOG = LoggerFactory.getLogger(MetricsHttpServer.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private final String url;
  private boolean closed;

  private MetricsHttpServer(HttpServer server, ExecutorService executor, String url) {
    this.server = server;
    this.executor = executor;
    this.url = url;
  }

  /** The body of one answer to a scrape, and its content type. */
  public record Scrape(String contentType, String body) {
    public Scrape {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(body, "body");
    }
  }

  /**
   * What a scrape returns, given the request's {@code Accept} header ({@code ""} when it has
   * none). Called on the server's thread for every {@code GET /metrics}.
   */
  @FunctionalInterface
  public interface Exposition {
    Scrape scrape(String accept);

    /** Always {@code text()} in the Prometheus text format, whatever the scraper accepts. */
    static Exposition prometheusText(Supplier<String> text) {
      Objects.requireNonNull(text, "text");
      return accept -> new Scrape(PROMETHEUS_TEXT, text.get());
    }
  }

  /** A server on 127.0.0.1; set the port and the exposition, then {@link Builder#start()}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts serving {@code scrape()} in the Prometheus text format at {@code
   * http://127.0.0.1:<port>/metrics}.
   *
   * @param port the port, or 0 for a free one (see {@link #port()})
   * @throws IllegalArgumentException if the port is outside 0..65535
   * @throws UncheckedIOException if the port cannot be bound (e.g. already in use)
   */
  public static MetricsHttpServer start(int port, Supplier<String> scrape) {
    return builder().port(port).exposition(Exposition.prometheusText(scrape)).start();
  }

  /** As {@link #start(int, Supplier)} with an explicit content type. */
  public static MetricsHttpServer start(int port, Supplier<String> scrape, String contentType) {
    Objects.requireNonNull(scrape, "scrape");
    Objects.requireNonNull(contentType, "contentType");
    return builder().port(port).exposition(accept -> new Scrape(contentType, scrape.get())).start();
  }

  /**
   * The address {@code host} names, the one {@link Builder#start()} binds (a name is looked up):
   * callers check a host before they start, and see whether it is a loopback address.
   *
   * @throws IllegalArgumentException naming the host if it is blank or unknown
   */
  public static InetAddress hostAddress(String host) {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("expected a host name or address to serve metrics on, but got '" + host + "'");
    }
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("unknown host '" + host + "' to serve metrics on", e);
    }
  }

  /** The port it listens on (the chosen one when started with 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The address it listens on. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** {@code http://<host>:<port>/metrics}, with the host as it was given. */
  public String url() {
    return url;
  }

  private static void answer(HttpExchange exchange, Exposition exposition) throws IOException {
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
      String accept = String.join(",", exchange.getRequestHeaders().getOrDefault("Accept", java.util.List.of()));
      Scrape scrape;
      try {
        scrape = exposition.scrape(accept);
      } catch (RuntimeException e) {
        LOG.error("metrics scrape failed", e);
        byte[] error = ("scrape failed: " + e).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(500, error.length);
        exchange.getResponseBody().write(error);
        return;
      }
      byte[] body = scrape.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", scrape.contentType());
      // The body depends on the Accept header: caches must not serve one format for another.
      exchange.getResponseHeaders().set("Vary", "Accept");
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

  /** Where to listen and what to answer; checked at {@link #start()}. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private Integer port;
    private Exposition exposition;

    private Builder() {}

    /**
     * The host name or address to listen on (default {@code 127.0.0.1}); {@code 0.0.0.0} or
     * {@code ::} is every interface. Anything but a loopback address lets other machines read the
     * figures: the endpoint has no authentication.
     */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port, or 0 for a free one (see {@link MetricsHttpServer#port()}). Required. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** What {@code /metrics} answers. Required. */
    public Builder exposition(Exposition exposition) {
      this.exposition = Objects.requireNonNull(exposition, "exposition");
      return this;
    }

    /**
     * Binds the address and starts serving.
     *
     * @throws IllegalArgumentException if the port is unset or outside 0..65535, the exposition is
     *     unset, or the host is unknown
     * @throws UncheckedIOException if the address cannot be bound (in use, not this machine's)
     */
    public MetricsHttpServer start() {
      if (port == null) {
        throw new IllegalArgumentException("no port set: call port(int), 0 for a free one");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("expected a port between 0 and 65535, but got " + port);
      }
      if (exposition == null) {
        throw new IllegalArgumentException("no exposition set: call exposition(...)");
      }
      InetAddress address = hostAddress(host);
      HttpServer server;
      try {
        server = HttpServer.create(new InetSocketAddress(address, port), 16);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot serve metrics on " + hostPort(host, port) + ": " + e.getMessage(), e);
      }
      ExecutorService executor =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "tfmon-metrics-http");
                t.setDaemon(true);
                return t;
              });
      server.setExecutor(executor);
      Exposition answers = exposition;
      server.createContext("/metrics", exchange -> answer(exchange, answers));
      server.start();
      int bound = server.getAddress().getPort();
      MetricsHttpServer started = new MetricsHttpServer(server, executor, "http://" + hostPort(host, bound) + "/metrics");
      LOG.info("serving metrics at {}", started.url());
      return started;
    }

    private static String hostPort(String host, int port) {
      return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
  }
}

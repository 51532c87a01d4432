package dev.tfmon.cli;

import dev.tfmon.metrics.MetricsHttpServer;
import java.net.InetAddress;

/**
 * Where {@code tfmon train} serves {@code /metrics}: {@code --metrics-host} (127.0.0.1 unless
 * given) and {@code --metrics-port}, the host checked before any work.
 *
 * <pre>{@code
 * MetricsEndpoint e = MetricsEndpoint.resolve("0.0.0.0", 9464);   // e.isLoopback() == false
 * }</pre>
 *
 * @param host the host as the user gave it
 * @param port 0..65535, 0 for a free port
 * @param address what the host names
 */
record MetricsEndpoint(String host, int port, InetAddress address) {
  static final String DEFAULT_HOST = "127.0.0.1";

  /**
   * The endpoint on {@code host} (null: 127.0.0.1) and {@code port}.
   *
   * @throws CliException a usage error naming the host if it is blank or unknown
   */
  static MetricsEndpoint resolve(String host, int port) {
    String h = host == null ? DEFAULT_HOST : host;
    try {
      return new MetricsEndpoint(h, port, MetricsHttpServer.hostAddress(h));
    } catch (IllegalArgumentException e) {
      throw CliException.usage("--metrics-host: " + e.getMessage());
    }
  }

  /** Whether only this machine can connect (127.0.0.0/8, ::1). */
  boolean isLoopback() {
    return address.isLoopbackAddress();
  }
}

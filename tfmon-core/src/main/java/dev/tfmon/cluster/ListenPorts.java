package dev.tfmon.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Optional;
import java.util.Set;

/**
 * Ports as TensorFlow's gRPC server needs them: it binds its port on every interface ({@code
 * 0.0.0.0}, dual-stack), so a port is usable only if nothing listens on it at any address.
 */
final class ListenPorts {
  private static final int ATTEMPTS = 100;

  private ListenPorts() {}

  /**
   * Why TensorFlow could not listen on {@code port}, or empty if it could: {@code "port N is in
   * use"}, or the operating system's reason (a port below 1024 without privileges).
   */
  static Optional<String> problem(int port) {
    // A bound socket that does not listen: it conflicts with any listener on the port, accepts no
    // connection, and (reusing the address) ignores connections of the port still in TIME_WAIT.
    try (Socket probe = new Socket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(port));
      return Optional.empty();
    } catch (BindException e) {
      String reason = e.getMessage() == null ? "" : e.getMessage();
      if (reason.contains("in use")) {
        return Optional.of("port " + port + " is in use");
      }
      return Optional.of("cannot listen on port " + port + " (" + reason + ")");
    } catch (IOException e) {
      return Optional.of("cannot listen on port " + port + " (" + e.getMessage() + ")");
    }
  }

  /** A port free on every interface a moment ago and not in {@code taken}, which it joins. */
  static int freePort(Set<Integer> taken) {
    for (int i = 0; i < ATTEMPTS; i++) {
      int port;
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = socket.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException("no free loopback port", e);
      }
      if (!taken.contains(port) && problem(port).isEmpty()) {
        taken.add(port);
        return port;
      }
    }
    throw new IllegalStateException("found no free port in " + ATTEMPTS + " attempts");
  }
}

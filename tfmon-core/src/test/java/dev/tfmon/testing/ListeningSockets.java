package dev.tfmon.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The addresses the kernel has listening TCP sockets on, read from Linux's {@code /proc/net/tcp}
 * and {@code /proc/net/tcp6}: what a server really binds, whatever its configuration says.
 */
public final class ListeningSockets {
  private static final String LISTEN = "0A";

  private ListeningSockets() {}

  /**
   * The local addresses of the sockets listening on {@code port}, e.g. {@code [0.0.0.0]}, {@code
   * [::]} (every interface) or {@code [127.0.0.1]}.
   */
  public static List<String> addresses(int port) {
    List<String> out = new ArrayList<>();
    read(Path.of("/proc/net/tcp"), port, out);
    read(Path.of("/proc/net/tcp6"), port, out);
    return out;
  }

  private static void read(Path table, int port, List<String> out) {
    List<String> lines;
    try {
      lines = Files.readAllLines(table);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + table + " (the listening address is read from Linux's /proc)", e);
    }
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.trim().split("\\s+");
      String[] local = f[1].split(":");
      if (f[3].equals(LISTEN) && Integer.parseInt(local[1], 16) == port) {
        out.add(address(local[0]));
      }
    }
  }

  /** The kernel prints each 32-bit word of the address in host (little-endian) order. */
  private static String address(String hex) {
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int b = 0; b < 4; b++) {
        int at = word * 8 + (3 - b) * 2;
        bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
      }
    }
    try {
      String s = InetAddress.getByAddress(bytes).getHostAddress();
      return s.equals("0:0:0:0:0:0:0:0") ? "::" : s;
    } catch (UnknownHostException e) {
      throw new IllegalStateException("bad address " + hex, e);
    }
  }
}

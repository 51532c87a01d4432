package dev.tfmon.summary;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** This machine's host name, as {@code gethostname()} reports it (what TensorFlow puts in file names). */
final class Hostnames {
  private static final Path LINUX_HOSTNAME = Path.of("/proc/sys/kernel/hostname");
  private static volatile String cached;

  private Hostnames() {}

  static String local() {
    String name = cached;
    if (name == null) {
      name = lookup();
      cached = name;
    }
    return name;
  }

  private static String lookup() {
    // The kernel's name is exactly gethostname(); InetAddress may resolve DNS and return another.
    try {
      if (Files.isReadable(LINUX_HOSTNAME)) {
        String name = Files.readString(LINUX_HOSTNAME, StandardCharsets.US_ASCII).trim();
        if (!name.isEmpty()) {
          return name;
        }
      }
    } catch (IOException e) {
      // fall through to the portable lookup
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}

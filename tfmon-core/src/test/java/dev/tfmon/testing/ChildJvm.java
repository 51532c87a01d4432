package dev.tfmon.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Java main class run in its own JVM with the test classpath, for tests that need several
 * processes (cluster tasks that are killed and restarted, crash-safety runs). The child's output is
 * collected line by line; {@link #close()} kills it (SIGKILL) if it is still alive. Children also
 * exit by themselves when their standard input closes, so a crashed test JVM leaves none behind
 * (see {@link #exitWhenParentDies()}).
 */
public final class ChildJvm implements AutoCloseable {
  private static final String EOF = "\u0000EOF";

  private final String name;
  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> transcript = java.util.Collections.synchronizedList(new ArrayList<>());

  private ChildJvm(String name, Process process) {
    this.name = name;
    this.process = process;
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  transcript.add(line);
                  lines.add(line);
                }
              } catch (IOException ignored) {
                // the child died; EOF below tells waiters
              }
              lines.add(EOF);
            },
            "child-output-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  /** Starts {@code mainClass} with {@code args} in a new JVM on this JVM's classpath. */
  public static ChildJvm start(String name, Class<?> mainClass, List<String> jvmArgs, String... args) {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.add("-Xmx512m");
    command.add("-XX:+UseSerialGC");
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    try {
      return new ChildJvm(name, pb.start());
    } catch (IOException e) {
      throw new UncheckedIOException("could not start child JVM " + name, e);
    }
  }

  /**
   * Waits until the child prints a line starting with {@code prefix} and returns that line.
   *
   * @throws AssertionError if the child exits or the deadline passes first, with its output
   */
  public String awaitLine(String prefix, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            name + " printed no line starting with '" + prefix + "' within " + timeout + ":\n"
                + transcript());
      }
      String line;
      try {
        line = lines.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + name, e);
      }
      if (line == null) {
        continue;
      }
      if (line.equals(EOF)) {
        throw new AssertionError(
            name + " exited before printing '" + prefix + "':\n" + transcript());
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  /** Everything the child printed so far. */
  public String transcript() {
    synchronized (transcript) {
      return String.join("\n", transcript);
    }
  }

  /** The child's process. */
  public Process process() {
    return process;
  }

  /** Kills the child with SIGKILL and waits for it to be gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError(name + " survived SIGKILL for 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  /**
   * For child main classes: exits the JVM when standard input reaches end of file, which happens
   * when the parent test JVM dies.
   */
  public static void exitWhenParentDies() {
    Thread watcher =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // keep reading until the parent closes the pipe
                }
              } catch (IOException ignored) {
                // treat as parent gone
              }
              Runtime.getRuntime().halt(3);
            },
            "parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }
}

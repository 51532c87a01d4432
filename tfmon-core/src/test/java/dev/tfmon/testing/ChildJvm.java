package dev.tfmon.testing;

import dev.tfmon.process.ChildProcess;
import dev.tfmon.process.ParentWatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Java main class run in its own JVM with the test classpath, for tests that need several
 * processes (cluster tasks that are killed and restarted, crash-safety runs): a {@link
 * ChildProcess} (output merged and collected line by line, SIGKILL on {@link #close()}) with
 * failures reported as test failures. Children also exit by themselves when their standard input
 * closes, so a crashed test JVM leaves none behind (see {@link #exitWhenParentDies()}).
 */
public final class ChildJvm implements AutoCloseable {
  private final ChildProcess child;

  private ChildJvm(ChildProcess child) {
    this.child = child;
  }

  /** Starts {@code mainClass} with {@code args} in a new JVM on this JVM's classpath. */
  public static ChildJvm start(String name, Class<?> mainClass, List<String> jvmArgs, String... args) {
    List<String> options = new ArrayList<>(List.of("-Xmx512m", "-XX:+UseSerialGC"));
    options.addAll(jvmArgs);
    return new ChildJvm(
        ChildProcess.builder(name, ChildProcess.javaCommand(options, mainClass.getName(), List.of(args))).start());
  }

  /**
   * Waits until the child prints a line starting with {@code prefix} and returns that line.
   *
   * @throws AssertionError if the child exits or the deadline passes first, with its output
   */
  public String awaitLine(String prefix, Duration timeout) {
    try {
      return child.awaitLine(prefix, timeout);
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** Everything the child printed so far. */
  public String transcript() {
    return String.join("\n", child.transcript());
  }

  /** The child's process. */
  public Process process() {
    return child.process();
  }

  /** Kills the child with SIGKILL and waits for it to be gone. */
  public void kill() {
    child.kill();
  }

  @Override
  public void close() {
    child.close();
  }

  /**
   * For child main classes: exits the JVM when standard input reaches end of file, which happens
   * when the parent test JVM dies.
   */
  public static void exitWhenParentDies() {
    ParentWatch.haltWhenStdinCloses();
  }
}

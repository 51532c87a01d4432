package dev.tfmon.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One child process of a {@link LocalCluster}: its output (standard output and error merged) is
 * read line by line, kept as a transcript and handed to {@link #awaitLine} callers in order.
 *
 * <pre>{@code
 * TaskProcess ps = cluster.task("ps", 0);
 * String line = ps.awaitLine("READY ", Duration.ofSeconds(60));
 * ps.kill();   // SIGKILL, waits until the process is gone
 * }</pre>
 */
public final class TaskProcess {
  private static final Logger LOG = LoggerFactory.getLogger(TaskProcess.class);
  private static final String EOF = "\u0000EOF";
  private static final int TRANSCRIPT_TAIL = 60;

  private final String name;
  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> transcript = Collections.synchronizedList(new ArrayList<>());

  TaskProcess(String name, Process process, BiConsumer<String, String> listener) {
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
                  try {
                    listener.accept(name, line);
                  } catch (RuntimeException e) {
                    // a failing listener must not stop the reading, or the child blocks on a full pipe
                    LOG.warn("output listener failed on a line of {}", name, e);
                  }
                }
              } catch (IOException ignored) {
                // the process died under us; the EOF marker below tells waiters
              }
              lines.add(EOF);
            },
            "task-output-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  /** The task's name, {@code /job:ps/task:0}. */
  public String name() {
    return name;
  }

  /** The operating system process. */
  public Process process() {
    return process;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits for the next line starting with {@code prefix} (earlier lines are skipped for good) and
   * returns it.
   *
   * @throws IllegalStateException if the process ends or {@code timeout} passes first; the message
   *     holds the end of its output
   */
  public String awaitLine(String prefix, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException(
            name + " printed no line starting with \"" + prefix + "\" within " + timeout
                + "; its output ends with:\n" + tail());
      }
      String line;
      try {
        line = lines.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + name, e);
      }
      if (line == null) {
        continue;
      }
      if (line.equals(EOF)) {
        lines.add(EOF); // later waiters must see the end too
        throw new IllegalStateException(
            name + " exited before printing \"" + prefix + "\"; its output ends with:\n" + tail());
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  /** Every line the process printed so far. */
  public List<String> transcript() {
    synchronized (transcript) {
      return List.copyOf(transcript);
    }
  }

  private String tail() {
    List<String> all = transcript();
    return String.join("\n", all.subList(Math.max(0, all.size() - TRANSCRIPT_TAIL), all.size()));
  }

  /** Kills the process with SIGKILL and waits until it is gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL for 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing " + name, e);
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + (process.isAlive() ? ")" : ", exited)");
  }
}

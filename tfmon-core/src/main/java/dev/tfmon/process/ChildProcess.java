package dev.tfmon.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child process whose output is read line by line while it runs: kept as a transcript, handed to
 * an optional listener, and waited for with {@link #awaitLine}. Its standard input stays open (a
 * pipe this object holds), so a child that calls {@link ParentWatch#haltWhenStdinCloses()} dies with
 * this JVM. {@link #close()} kills it if it still runs; closing twice is fine.
 *
 * <pre>{@code
 * try (ChildProcess child = ChildProcess.builder("trainer",
 *         ChildProcess.javaCommand(List.of("-Xmx256m"), TrainerMain.class.getName(), List.of(dir)))
 *     .environment("TF_CPP_MIN_LOG_LEVEL", "2")
 *     .start()) {
 *   child.awaitLine("READY ", Duration.ofSeconds(60));
 *   child.terminate();                                   // SIGTERM
 *   int code = child.awaitExit(Duration.ofSeconds(60));
 * }
 * }</pre>
 */
public final class ChildProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
  private static final int TAIL_LINES = 60;
  private static final Duration KILL_WAIT = Duration.ofSeconds(30);
  /** How long the output may take to reach its end once the process exited. */
  private static final Duration DRAIN_WAIT = Duration.ofSeconds(10);

  private final String name;
  private final Process process;
  private final Lines output;
  private final Lines errors;

  private ChildProcess(String name, Process process, boolean separateErrors, Consumer<String> listener) {
    this.name = name;
    this.process = process;
    this.output = Lines.pump(name, "output", process.getInputStream(), listener);
    this.errors = separateErrors ? Lines.pump(name, "errors", process.getErrorStream(), line -> {}) : null;
  }

  /** A builder for a child named {@code name} (used in messages) running {@code command}. */
  public static Builder builder(String name, List<String> command) {
    return new Builder(name, command);
  }

  /** {@code java [jvmOptions] -cp <this JVM's classpath> mainClass args...}, with this JVM's java. */
  public static List<String> javaCommand(List<String> jvmOptions, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return List.copyOf(cmd);
  }

  /** The name given to the builder. */
  public String name() {
    return name;
  }

  /** The operating system process. */
  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits for the next line (after those an earlier call returned or skipped) starting with {@code
   * prefix} and returns it; the lines before it are skipped for good.
   *
   * @throws IllegalStateException if the output ends or {@code timeout} passes first; the message
   *     holds the end of the output
   */
  public String awaitLine(String prefix, Duration timeout) {
    return await(prefix, timeout, false);
  }

  /**
   * Waits until any line printed since the start begins with {@code prefix}, and returns the first
   * such line; unlike {@link #awaitLine} it neither skips nor consumes lines.
   *
   * @throws IllegalStateException as {@link #awaitLine} does
   */
  public String awaitPrinted(String prefix, Duration timeout) {
    return await(prefix, timeout, true);
  }

  private String await(String prefix, Duration timeout, boolean fromStart) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String line;
    try {
      line = output.await(prefix, deadline, fromStart);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name, e);
    }
    if (line != null) {
      return line;
    }
    String why = output.ended() ? " ended its output" : " printed nothing more within " + timeout;
    throw new IllegalStateException(
        name + why + " before a line starting with \"" + prefix + "\"; its output ends with:\n" + tail());
  }

  /** Every line of standard output (with standard error, unless separated) so far. */
  public List<String> transcript() {
    return output.snapshot();
  }

  /** Every line of standard error so far, when the builder separated it; else empty. */
  public List<String> errorTranscript() {
    return errors == null ? List.of() : errors.snapshot();
  }

  /**
   * Waits until the process exits and its output is read to the end, and returns its exit code.
   *
   * @throws IllegalStateException if it still runs after {@code timeout} (it is left running)
   */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException(
            name + " (pid " + pid() + ") still runs after " + timeout + "; its output ends with:\n" + tail());
      }
      // the last lines may still be in the pipe (a grandchild holding it open is not waited for long)
      long drain = System.nanoTime() + DRAIN_WAIT.toNanos();
      output.awaitEnd(drain);
      if (errors != null) {
        errors.awaitEnd(drain);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name + " to exit", e);
    }
    return process.exitValue();
  }

  /**
   * Sends SIGTERM and returns. Through the process handle: {@link Process#destroy()} would also
   * close the pipes, so the child would lose what it prints while stopping, and a child watching its
   * standard input would halt at once.
   */
  public void terminate() {
    process.toHandle().destroy();
  }

  /**
   * Kills the process with SIGKILL and waits until it is gone.
   *
   * @throws IllegalStateException if it survives 30 s
   */
  public void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(KILL_WAIT.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException(name + " (pid " + pid() + ") survived SIGKILL for " + KILL_WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing " + name, e);
    }
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  private String tail() {
    List<String> all = transcript();
    List<String> tail = new ArrayList<>(all.subList(Math.max(0, all.size() - TAIL_LINES), all.size()));
    List<String> err = errorTranscript();
    if (!err.isEmpty()) {
      tail.add("--- standard error:");
      tail.addAll(err.subList(Math.max(0, err.size() - TAIL_LINES), err.size()));
    }
    return String.join("\n", tail);
  }

  @Override
  public String toString() {
    return name + " (pid " + pid() + (process.isAlive() ? ")" : ", exited)");
  }

  /** The lines of one stream, filled by a daemon thread until the stream ends. */
  private static final class Lines {
    private final List<String> lines = new ArrayList<>();
    private boolean ended;
    private int cursor;

    static Lines pump(String name, String stream, InputStream in, Consumer<String> listener) {
      Lines lines = new Lines();
      Thread pump =
          new Thread(
              () -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                  for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    try {
                      listener.accept(line);
                    } catch (RuntimeException e) {
                      // a failing listener must not stop the reading, or the child blocks on a full pipe
                      LOG.warn("the output listener of {} failed on a line", name, e);
                    }
                  }
                } catch (IOException gone) {
                  // the process died under us: the end below tells the waiters
                }
                lines.end();
              },
              "child-" + stream + "-" + name);
      pump.setDaemon(true);
      pump.start();
      return lines;
    }

    synchronized void add(String line) {
      lines.add(line);
      notifyAll();
    }

    synchronized void end() {
      ended = true;
      notifyAll();
    }

    synchronized boolean ended() {
      return ended;
    }

    synchronized List<String> snapshot() {
      return List.copyOf(lines);
    }

    /** The first line from the cursor (or the start) with {@code prefix}, or null at the end or deadline. */
    synchronized String await(String prefix, long deadline, boolean fromStart) throws InterruptedException {
      int i = fromStart ? 0 : cursor;
      while (true) {
        for (; i < lines.size(); i++) {
          if (lines.get(i).startsWith(prefix)) {
            if (!fromStart) {
              cursor = i + 1;
            }
            return lines.get(i);
          }
        }
        if (!fromStart) {
          cursor = i;
        }
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) {
          return null;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    synchronized void awaitEnd(long deadline) throws InterruptedException {
      long left;
      while (!ended && (left = deadline - System.nanoTime()) > 0) {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }

  /** Builds and starts a {@link ChildProcess}. */
  public static final class Builder {
    private final String name;
    private final List<String> command;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Path directory;
    private boolean separateErrors;
    private Consumer<String> listener = line -> {};

    private Builder(String name, List<String> command) {
      this.name = name;
      this.command = command == null ? null : List.copyOf(command);
    }

    /** The working directory (default: this JVM's). */
    public Builder directory(Path dir) {
      this.directory = dir;
      return this;
    }

    /** Sets one environment variable of the child (on top of this JVM's environment). */
    public Builder environment(String key, String value) {
      environment.put(key, value);
      return this;
    }

    /** Sets environment variables of the child (on top of this JVM's environment). */
    public Builder environment(Map<String, String> variables) {
      environment.putAll(variables);
      return this;
    }

    /** Keeps standard error apart ({@link #errorTranscript()}); by default it joins the output. */
    public Builder separateErrorOutput() {
      this.separateErrors = true;
      return this;
    }

    /** Receives every output line, on the thread that reads them. */
    public Builder onOutputLine(Consumer<String> lineListener) {
      this.listener = lineListener;
      return this;
    }

    /**
     * Starts the process.
     *
     * @throws IllegalArgumentException for an empty command or a null listener
     * @throws UncheckedIOException if the operating system cannot start it
     */
    public ChildProcess start() {
      if (command == null || command.isEmpty()) {
        throw new IllegalArgumentException("expected a command for " + name + ", but got " + command);
      }
      if (listener == null) {
        throw new IllegalArgumentException("expected an output listener for " + name + ", but got null");
      }
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(!separateErrors);
      if (directory != null) {
        pb.directory(directory.toFile());
      }
      pb.environment().putAll(environment);
      try {
        return new ChildProcess(name, pb.start(), separateErrors, listener);
      } catch (IOException e) {
        throw new UncheckedIOException("could not start " + name + ": " + command, e);
      }
    }
  }
}

package dev.tfmon.cli;

import dev.tfmon.process.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The real {@code tfmon} command ({@link TfmonCli#main}) in a child JVM on the test classpath, with
 * its own working directory, standard output and error read apart while it runs (a {@link
 * ChildProcess}). Always closed by the test: {@link #close()} kills it (SIGKILL) if it is still
 * running.
 *
 * <pre>{@code
 * try (CliProcess p = CliProcess.start(dir, "train", "--max-steps", "100")) {
 *   CliProcess.Result r = p.await(Duration.ofSeconds(60));
 * }
 * }</pre>
 */
final class CliProcess implements AutoCloseable {
  /** What a finished run printed and returned. */
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private final ChildProcess child;

  private CliProcess(ChildProcess child) {
    this.child = child;
  }

  static CliProcess start(Path workDir, String... args) {
    return start(workDir, java.util.Map.of(), args);
  }

  /** Starts {@code tfmon args...} in {@code workDir} with {@code environment} added to this JVM's. */
  static CliProcess start(Path workDir, java.util.Map<String, String> environment, String... args) {
    try {
      Files.createDirectories(workDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new CliProcess(
        ChildProcess.builder("tfmon " + String.join(" ", args),
                ChildProcess.javaCommand(
                    // as ./tfmon runs it: NativeLogFilter needs the flag to filter TensorFlow's native INFO lines
                    List.of("-Xmx512m", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"),
                    TfmonCli.class.getName(), List.of(args)))
            .directory(workDir)
            .environment("TF_CPP_MIN_LOG_LEVEL", "2")
            .environment(environment)
            .separateErrorOutput()
            .start());
  }

  /** Runs {@code args} in {@code workDir} to the end (at most {@code timeout}). */
  static Result run(Path workDir, Duration timeout, String... args) {
    try (CliProcess p = start(workDir, args)) {
      return p.await(timeout);
    }
  }

  /** Waits for the exit; fails (after killing the child) past {@code timeout}. */
  Result await(Duration timeout) {
    int code;
    try {
      code = child.awaitExit(timeout);
    } catch (IllegalStateException e) {
      child.close();
      throw new AssertionError("tfmon did not finish within " + timeout + ":\n" + e.getMessage(), e);
    }
    return new Result(code, text(child.transcript()), text(child.errorTranscript()));
  }

  /** Waits until stdout has a line starting with {@code prefix} (printed at any time); returns it. */
  String awaitLine(String prefix, Duration timeout) {
    try {
      return child.awaitPrinted(prefix, timeout);
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  long pid() {
    return child.pid();
  }

  /** SIGKILL, and waits for the end. */
  void kill() {
    child.kill();
  }

  /** Sends SIGTERM, as a scheduler preempting the job does. */
  void terminate() {
    child.terminate();
  }

  private static String text(List<String> lines) {
    return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
  }

  @Override
  public void close() {
    child.close();
  }
}

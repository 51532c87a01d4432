package dev.tfmon.cli;

import dev.tfmon.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code tfmon} command ({@link TfmonCli#main}) in a child JVM on the test classpath, with
 * its own working directory; stdout and stderr go to files so a test can wait for a line while it
 * runs. Always closed by the test: {@link #close()} kills it (SIGKILL) if it is still running.
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

  private final Process process;
  private final Path out;
  private final Path err;

  private CliProcess(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  static CliProcess start(Path workDir, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    // as ./tfmon runs it: NativeLogFilter needs this to filter TensorFlow's native INFO lines
    command.add("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(TfmonCli.class.getName());
    command.addAll(List.of(args));
    try {
      Files.createDirectories(workDir);
      Path out = Files.createTempFile(workDir, "tfmon-", ".out");
      Path err = Files.createTempFile(workDir, "tfmon-", ".err");
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .directory(workDir.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
      return new CliProcess(pb.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code args} in {@code workDir} to the end (at most {@code timeout}). */
  static Result run(Path workDir, Duration timeout, String... args) {
    try (CliProcess p = start(workDir, args)) {
      return p.await(timeout);
    }
  }

  /** Waits for the exit; fails (after killing the child) past {@code timeout}. */
  Result await(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("tfmon did not finish within " + timeout + "; output so far:\n" + read(out) + read(err));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return new Result(process.exitValue(), read(out), read(err));
  }

  /** Waits until stdout has a line starting with {@code prefix}; returns that line. */
  String awaitLine(String prefix, Duration timeout) {
    String stdout =
        Await.until(
            "a line starting with '" + prefix + "' on stdout",
            timeout,
            () -> {
              String text = read(out);
              if (firstLineStartingWith(text, prefix) == null && !process.isAlive()) {
                throw new AssertionError("tfmon exited with " + process.exitValue() + " before printing '" + prefix
                    + "':\n" + read(out) + read(err));
              }
              return text;
            },
            text -> firstLineStartingWith(text, prefix) != null);
    return firstLineStartingWith(stdout, prefix);
  }

  private static String firstLineStartingWith(String text, String prefix) {
    for (String line : text.split("\n")) {
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    return null;
  }


  long pid() {
    return process.pid();
  }

  /** SIGKILL, and waits for the end. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends SIGTERM (what {@link Process#destroy()} does on Linux). */
  void terminate() {
    process.destroy();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

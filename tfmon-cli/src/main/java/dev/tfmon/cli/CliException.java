package dev.tfmon.cli;

/**
 * A failure the CLI reports as one line, with its exit code: {@link #USAGE} (2) for a bad argument
 * (a path that does not exist, an unknown column or op name), {@link #FAILURE} (1) for input that
 * cannot be used (a ragged CSV, a checkpoint of another model).
 *
 * <pre>{@code
 * throw CliException.usage("--label-column 'kind' is not a column of data.csv; columns: [x, y, label]");
 * }</pre>
 */
public final class CliException extends RuntimeException {
  /** Exit code of a runtime failure. */
  public static final int FAILURE = 1;
  /** Exit code of bad usage. */
  public static final int USAGE = 2;

  private final int exitCode;

  public CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** A bad-usage error (exit code 2). */
  public static CliException usage(String message) {
    return new CliException(USAGE, message);
  }

  /** A runtime failure (exit code 1). */
  public static CliException failure(String message) {
    return new CliException(FAILURE, message);
  }

  /** A runtime failure (exit code 1) with its cause (shown with --verbose). */
  public static CliException failure(String message, Throwable cause) {
    return new CliException(FAILURE, message, cause);
  }

  public int exitCode() {
    return exitCode;
  }
}

package dev.tfmon.errors;

import java.util.Objects;

/**
 * A failure reported by the TensorFlow runtime, with the exact status code it reported.
 *
 * <p>Every code but OK has its own subclass ({@link AbortedException}, {@link
 * UnavailableException}, ...), so callers can catch exactly the failures they handle:
 *
 * <pre>{@code
 * try (RunResult r = session.runner().fetch(loss).run()) {
 *   ...
 * } catch (OutOfRangeException endOfInput) {
 *   // the input pipeline is exhausted
 * }
 * }</pre>
 *
 * <p>{@link #getMessage()} is {@code "<CODE>: <TensorFlow's first line>"}, readable in a log line;
 * {@link #tensorflowMessage()} keeps TensorFlow's complete text (which often spans many lines of
 * node and stack information).
 */
public class TensorFlowStatusException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final StatusCode code;
  private final String tensorflowMessage;

  protected TensorFlowStatusException(StatusCode code, String tensorflowMessage, Throwable cause) {
    super(code + ": " + firstLineOf(tensorflowMessage), cause);
    if (code == StatusCode.OK) {
      throw new IllegalArgumentException("a status exception cannot carry code OK");
    }
    this.code = code;
    this.tensorflowMessage = tensorflowMessage == null ? "" : tensorflowMessage;
  }

  /** The status code TensorFlow reported. */
  public final StatusCode code() {
    return code;
  }

  /** TensorFlow's full message text, unchanged. */
  public final String tensorflowMessage() {
    return tensorflowMessage;
  }

  /** The first line of TensorFlow's message: what a log line should show. */
  public final String firstLine() {
    return firstLineOf(tensorflowMessage);
  }

  /** True for ABORTED and UNAVAILABLE (see {@link StatusCode#isPreemption()}). */
  public final boolean isPreemption() {
    return code.isPreemption();
  }

  /**
   * Creates the exception subclass that matches {@code code}.
   *
   * @throws IllegalArgumentException if {@code code} is OK
   */
  public static TensorFlowStatusException of(StatusCode code, String message) {
    return of(code, message, null);
  }

  /** As {@link #of(StatusCode, String)}, with a cause. */
  public static TensorFlowStatusException of(StatusCode code, String message, Throwable cause) {
    Objects.requireNonNull(code, "code");
    switch (code) {
      case CANCELLED:
        return new CancelledException(message, cause);
      case UNKNOWN:
        return new UnknownException(message, cause);
      case INVALID_ARGUMENT:
        return new InvalidArgumentException(message, cause);
      case DEADLINE_EXCEEDED:
        return new DeadlineExceededException(message, cause);
      case NOT_FOUND:
        return new NotFoundException(message, cause);
      case ALREADY_EXISTS:
        return new AlreadyExistsException(message, cause);
      case PERMISSION_DENIED:
        return new PermissionDeniedException(message, cause);
      case RESOURCE_EXHAUSTED:
        return new ResourceExhaustedException(message, cause);
      case FAILED_PRECONDITION:
        return new FailedPreconditionException(message, cause);
      case ABORTED:
        return new AbortedException(message, cause);
      case OUT_OF_RANGE:
        return new OutOfRangeException(message, cause);
      case UNIMPLEMENTED:
        return new UnimplementedException(message, cause);
      case INTERNAL:
        return new InternalException(message, cause);
      case UNAVAILABLE:
        return new UnavailableException(message, cause);
      case DATA_LOSS:
        return new DataLossException(message, cause);
      case UNAUTHENTICATED:
        return new UnauthenticatedException(message, cause);
      default:
        throw new IllegalArgumentException("a status exception cannot carry code " + code);
    }
  }

  static String firstLineOf(String text) {
    if (text == null || text.isEmpty()) {
      return "(no message)";
    }
    String trimmed = text.strip();
    int eol = trimmed.indexOf('\n');
    return eol < 0 ? trimmed : trimmed.substring(0, eol).strip();
  }
}

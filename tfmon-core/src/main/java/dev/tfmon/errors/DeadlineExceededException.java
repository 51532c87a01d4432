package dev.tfmon.errors;

/** TensorFlow status DEADLINE_EXCEEDED: the operation did not finish before its deadline (for example {@code RunOptions.timeout_in_ms}). */
public class DeadlineExceededException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public DeadlineExceededException(String message) {
    this(message, null);
  }

  public DeadlineExceededException(String message, Throwable cause) {
    super(StatusCode.DEADLINE_EXCEEDED, message, cause);
  }
}

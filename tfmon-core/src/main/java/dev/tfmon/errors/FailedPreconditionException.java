package dev.tfmon.errors;

/** TensorFlow status FAILED_PRECONDITION: the system is not in the state the operation needs, such as reading an uninitialized variable. */
public class FailedPreconditionException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public FailedPreconditionException(String message) {
    this(message, null);
  }

  public FailedPreconditionException(String message, Throwable cause) {
    super(StatusCode.FAILED_PRECONDITION, message, cause);
  }
}

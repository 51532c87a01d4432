package dev.tfmon.errors;

/** TensorFlow status INTERNAL: an invariant of the runtime was broken. */
public class InternalException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public InternalException(String message) {
    this(message, null);
  }

  public InternalException(String message, Throwable cause) {
    super(StatusCode.INTERNAL, message, cause);
  }
}

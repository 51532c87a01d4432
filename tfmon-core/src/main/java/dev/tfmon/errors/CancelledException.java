package dev.tfmon.errors;

/** TensorFlow status CANCELLED: the operation was cancelled, typically by the caller or by a closing queue or session. */
public class CancelledException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public CancelledException(String message) {
    this(message, null);
  }

  public CancelledException(String message, Throwable cause) {
    super(StatusCode.CANCELLED, message, cause);
  }
}

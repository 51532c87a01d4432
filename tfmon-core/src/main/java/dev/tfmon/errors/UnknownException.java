package dev.tfmon.errors;

/** TensorFlow status UNKNOWN: an error TensorFlow could not classify. */
public class UnknownException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public UnknownException(String message) {
    this(message, null);
  }

  public UnknownException(String message, Throwable cause) {
    super(StatusCode.UNKNOWN, message, cause);
  }
}

package dev.tfmon.errors;

/** TensorFlow status UNIMPLEMENTED: the operation is not implemented or supported. */
public class UnimplementedException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public UnimplementedException(String message) {
    this(message, null);
  }

  public UnimplementedException(String message, Throwable cause) {
    super(StatusCode.UNIMPLEMENTED, message, cause);
  }
}

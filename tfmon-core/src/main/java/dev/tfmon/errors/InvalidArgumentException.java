package dev.tfmon.errors;

/** TensorFlow status INVALID_ARGUMENT: the caller gave a bad argument, such as a feed of the wrong dtype or shape. */
public class InvalidArgumentException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public InvalidArgumentException(String message) {
    this(message, null);
  }

  public InvalidArgumentException(String message, Throwable cause) {
    super(StatusCode.INVALID_ARGUMENT, message, cause);
  }
}

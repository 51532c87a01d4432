package dev.tfmon.errors;

/** TensorFlow status ALREADY_EXISTS: the entity the caller tried to create already exists. */
public class AlreadyExistsException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public AlreadyExistsException(String message) {
    this(message, null);
  }

  public AlreadyExistsException(String message, Throwable cause) {
    super(StatusCode.ALREADY_EXISTS, message, cause);
  }
}

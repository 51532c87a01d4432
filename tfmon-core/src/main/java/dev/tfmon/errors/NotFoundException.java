package dev.tfmon.errors;

/** TensorFlow status NOT_FOUND: a requested entity, such as a file or a variable in a checkpoint, does not exist. */
public class NotFoundException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    this(message, null);
  }

  public NotFoundException(String message, Throwable cause) {
    super(StatusCode.NOT_FOUND, message, cause);
  }
}

package dev.tfmon.errors;

/** TensorFlow status UNAUTHENTICATED: the request has no valid credentials. */
public class UnauthenticatedException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public UnauthenticatedException(String message) {
    this(message, null);
  }

  public UnauthenticatedException(String message, Throwable cause) {
    super(StatusCode.UNAUTHENTICATED, message, cause);
  }
}

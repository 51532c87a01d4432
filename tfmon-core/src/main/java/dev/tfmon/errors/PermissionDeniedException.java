package dev.tfmon.errors;

/** TensorFlow status PERMISSION_DENIED: the caller may not perform the operation. */
public class PermissionDeniedException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public PermissionDeniedException(String message) {
    this(message, null);
  }

  public PermissionDeniedException(String message, Throwable cause) {
    super(StatusCode.PERMISSION_DENIED, message, cause);
  }
}

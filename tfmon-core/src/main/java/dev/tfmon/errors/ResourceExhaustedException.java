package dev.tfmon.errors;

/** TensorFlow status RESOURCE_EXHAUSTED: a resource, such as memory or disk, ran out. */
public class ResourceExhaustedException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public ResourceExhaustedException(String message) {
    this(message, null);
  }

  public ResourceExhaustedException(String message, Throwable cause) {
    super(StatusCode.RESOURCE_EXHAUSTED, message, cause);
  }
}

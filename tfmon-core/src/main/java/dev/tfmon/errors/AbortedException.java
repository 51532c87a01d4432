package dev.tfmon.errors;

/** TensorFlow status ABORTED: the operation was aborted, typically because a remote session was lost; a MonitoredSession recovers from it. */
public class AbortedException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public AbortedException(String message) {
    this(message, null);
  }

  public AbortedException(String message, Throwable cause) {
    super(StatusCode.ABORTED, message, cause);
  }
}

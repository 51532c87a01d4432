package dev.tfmon.errors;

/** TensorFlow status UNAVAILABLE: the service is unavailable, typically a cluster task that went away; a MonitoredSession recovers from it. */
public class UnavailableException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public UnavailableException(String message) {
    this(message, null);
  }

  public UnavailableException(String message, Throwable cause) {
    super(StatusCode.UNAVAILABLE, message, cause);
  }
}

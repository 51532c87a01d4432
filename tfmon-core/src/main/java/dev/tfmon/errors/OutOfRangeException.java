package dev.tfmon.errors;

/** TensorFlow status OUT_OF_RANGE: an iteration went past its end, such as a dequeue from a closed, empty queue: the normal end of the input. */
public class OutOfRangeException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public OutOfRangeException(String message) {
    this(message, null);
  }

  public OutOfRangeException(String message, Throwable cause) {
    super(StatusCode.OUT_OF_RANGE, message, cause);
  }
}

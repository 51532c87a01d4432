package dev.tfmon.errors;

/**
 * TensorFlow's canonical status codes, with TensorFlow's own numeric values ({@code TF_Code} in the
 * C API, {@code tensorflow::error::Code} in C++).
 *
 * <pre>{@code
 * StatusCode code = StatusCode.fromValue(10);   // ABORTED
 * code.isPreemption();                          // true: the session should be recreated
 * }</pre>
 */
public enum StatusCode {
  OK(0),
  CANCELLED(1),
  UNKNOWN(2),
  INVALID_ARGUMENT(3),
  DEADLINE_EXCEEDED(4),
  NOT_FOUND(5),
  ALREADY_EXISTS(6),
  PERMISSION_DENIED(7),
  RESOURCE_EXHAUSTED(8),
  FAILED_PRECONDITION(9),
  ABORTED(10),
  OUT_OF_RANGE(11),
  UNIMPLEMENTED(12),
  INTERNAL(13),
  UNAVAILABLE(14),
  DATA_LOSS(15),
  UNAUTHENTICATED(16);

  private static final StatusCode[] BY_VALUE = values();

  private final int value;

  StatusCode(int value) {
    this.value = value;
  }

  /** TensorFlow's numeric value of this code. */
  public int value() {
    return value;
  }

  /**
   * True for ABORTED and UNAVAILABLE: the errors after which TensorFlow 1.x's MonitoredSession
   * recreates its session instead of failing.
   */
  public boolean isPreemption() {
    return this == ABORTED || this == UNAVAILABLE;
  }

  /**
   * The code with TensorFlow's numeric value {@code value}.
   *
   * @throws IllegalArgumentException if {@code value} is not one of TensorFlow's 17 codes
   */
  public static StatusCode fromValue(int value) {
    if (value < 0 || value >= BY_VALUE.length) {
      throw new IllegalArgumentException(
          "expected a TensorFlow status code from 0 to 16, but got " + value);
    }
    return BY_VALUE[value];
  }
}

package dev.tfmon.errors;

/** TensorFlow status DATA_LOSS: unrecoverable data loss or corruption, such as a checksum mismatch in a checkpoint. */
public class DataLossException extends TensorFlowStatusException {
  private static final long serialVersionUID = 1L;

  public DataLossException(String message) {
    this(message, null);
  }

  public DataLossException(String message, Throwable cause) {
    super(StatusCode.DATA_LOSS, message, cause);
  }
}

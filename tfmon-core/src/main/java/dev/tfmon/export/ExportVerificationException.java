package dev.tfmon.export;

/**
 * An export refused because the SavedModel, loaded back, computed something else than the
 * training session for the same input. Nothing was published: the written files were deleted.
 *
 * <pre>{@code
 * try { exporter.export(session, exports); }
 * catch (ExportVerificationException e) { log.error("not deployed: {}", e.getMessage()); }
 * }</pre>
 */
public final class ExportVerificationException extends IllegalStateException {
  private final String signature;
  private final String output;
  private final double difference;

  ExportVerificationException(String message, String signature, String output, double difference) {
    super(message);
    this.signature = signature;
    this.output = output;
    this.difference = difference;
  }

  /** The signature whose output differed. */
  public String signature() {
    return signature;
  }

  /** The output key that differed. */
  public String output() {
    return output;
  }

  /** The largest absolute difference of that output (infinite for a dtype or shape mismatch). */
  public double difference() {
    return difference;
  }
}

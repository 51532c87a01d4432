package dev.tfmon.session;

/** Wraps a checked exception thrown by a step function; the original is the cause. */
public final class StepFunctionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StepFunctionException(Exception cause) {
    super("the step function failed: " + cause, cause);
  }
}

package dev.tfmon.session;

/**
 * Thrown by {@link StepContext#requestStop()} to end the current step at once; a monitored session
 * treats it as a clean end (Python's {@code StopIteration}), like the end of the input.
 */
public final class StopRequestedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StopRequestedException() {
    super("the step function requested a stop", null, false, false);
  }
}

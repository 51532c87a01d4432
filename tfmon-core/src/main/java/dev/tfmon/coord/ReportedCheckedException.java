package dev.tfmon.coord;

/**
 * A checked exception that a thread reported to a {@link Coordinator}, re-thrown unchecked by
 * {@link Coordinator#join} or {@link Coordinator#raiseRequestedException()}. The reported exception
 * is the {@linkplain #getCause() cause}; unchecked exceptions are re-thrown as they are instead.
 *
 * <pre>{@code
 * try {
 *   coord.join();
 * } catch (ReportedCheckedException e) {
 *   if (e.getCause() instanceof IOException) { ... }
 * }
 * }</pre>
 */
public final class ReportedCheckedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ReportedCheckedException(Throwable cause) {
    super("a thread reported " + cause + " to the Coordinator", cause);
  }
}

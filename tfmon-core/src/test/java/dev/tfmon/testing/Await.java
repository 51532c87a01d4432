package dev.tfmon.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one polling loop of the test suites: waits for a condition with a deadline, polling a few
 * milliseconds apart, and fails naming what it waited for (and the last value seen) when the
 * deadline passes. Tests wait on conditions, never on a sleep that hopes.
 *
 * <pre>{@code
 * Await.until("a checkpoint", Duration.ofSeconds(60), () -> Checkpoints.latestCheckpoint(dir).isPresent());
 * long step = Await.until("step 20", Duration.ofSeconds(60), bean::getGlobalStep, s -> s >= 20);
 * }</pre>
 */
public final class Await {
  private static final long FIRST_PAUSE_MILLIS = 2;
  private static final long MAX_PAUSE_MILLIS = 50;

  private Await() {}

  /**
   * Polls {@code condition} until it holds.
   *
   * @throws AssertionError naming {@code what} once {@code timeout} has passed, or if interrupted
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    until(what, timeout, condition::getAsBoolean, Boolean::booleanValue);
  }

  /**
   * Polls {@code value} until {@code accept} holds for it, and returns that value.
   *
   * @throws AssertionError naming {@code what} and the last value seen once {@code timeout} has
   *     passed, or if interrupted
   */
  public static <T> T until(String what, Duration timeout, Supplier<T> value, Predicate<? super T> accept) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = FIRST_PAUSE_MILLIS;
    while (true) {
      T seen = value.get();
      if (accept.test(seen)) {
        return seen;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last seen: " + seen);
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
      pause = Math.min(MAX_PAUSE_MILLIS, pause * 2);
    }
  }
}

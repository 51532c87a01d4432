package dev.tfmon.session;

import dev.tfmon.errors.StatusCode;
import dev.tfmon.errors.TensorFlowStatusException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * When and how a {@link MonitoredSession} recreates a lost session, and the one definition of a
 * recoverable error in tfmon ({@link #recovers}): {@link RecoverableSession} recovers from it,
 * {@link CoordinatedSession} prefers it as the root cause of a failed run, and closing a lost
 * session ignores it. TensorFlow 1.x recovers from its preemption errors ({@link
 * StatusCode#isPreemption()}: ABORTED and UNAVAILABLE) forever, at once and silently; {@link
 * #tf1()} (the default) keeps that, except that each recovery is logged. A policy can add exponential backoff with a cap, and a
 * budget: at most {@code maxRecoveries} within {@code window}; past it the last error is thrown,
 * every earlier cause attached as suppressed.
 *
 * <pre>{@code
 * RecoveryPolicy policy = RecoveryPolicy.builder()
 *     .backoff(Duration.ofMillis(100), Duration.ofSeconds(10))
 *     .budget(5, Duration.ofMinutes(10))
 *     .build();
 * }</pre>
 *
 * @param codes the status codes that trigger a recovery
 * @param initialBackoff the wait before the first retry (zero: none)
 * @param maxBackoff the cap of the doubling backoff
 * @param maxRecoveries how many recoveries the window allows ({@code Integer.MAX_VALUE}: no limit)
 * @param window the sliding window of the budget
 */
public record RecoveryPolicy(
    Set<StatusCode> codes,
    Duration initialBackoff,
    Duration maxBackoff,
    int maxRecoveries,
    Duration window) {

  public RecoveryPolicy {
    codes = Set.copyOf(codes);
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(window, "window");
    if (codes.contains(StatusCode.OK)) {
      throw new IllegalArgumentException("OK is not an error and cannot trigger a recovery");
    }
    if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
      throw new IllegalArgumentException(
          "expected non-negative backoffs, but got initial "
              + initialBackoff
              + " and max "
              + maxBackoff);
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "expected maxBackoff >= initialBackoff, but got " + maxBackoff + " < " + initialBackoff);
    }
    if (maxRecoveries < 0) {
      throw new IllegalArgumentException(
          "expected a non-negative recovery budget, but got " + maxRecoveries);
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("expected a positive budget window, but got " + window);
    }
  }

  /** TensorFlow 1.x's behaviour: ABORTED and UNAVAILABLE, no backoff, no limit. */
  public static RecoveryPolicy tf1() {
    return builder().build();
  }

  /** No recovery at all: every error propagates. */
  public static RecoveryPolicy none() {
    return builder().codes(EnumSet.noneOf(StatusCode.class)).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** True if {@code error} is a TensorFlow status exception whose code this policy recovers from. */
  public boolean recovers(Throwable error) {
    return error instanceof TensorFlowStatusException
        && codes.contains(((TensorFlowStatusException) error).code());
  }

  /**
   * The TensorFlow status behind {@code error} (the first {@link TensorFlowStatusException} in its
   * cause chain, itself included) if this policy recovers from its code: a background thread may
   * report a status wrapped in its own exception.
   */
  public Optional<TensorFlowStatusException> recoverableCause(Throwable error) {
    for (Throwable c = error; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof TensorFlowStatusException) {
        return recovers(c) ? Optional.of((TensorFlowStatusException) c) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** The backoff before retry number {@code attempt} (1-based): initial × 2^(attempt-1), capped. */
  public Duration backoffFor(int attempt) {
    if (initialBackoff.isZero()) {
      return Duration.ZERO;
    }
    Duration d = initialBackoff;
    for (int i = 1; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }

  /** Builds a {@link RecoveryPolicy}; validated at {@link #build()}. */
  public static final class Builder {
    private Set<StatusCode> codes = preemptionCodes();
    private Duration initialBackoff = Duration.ZERO;
    private Duration maxBackoff = Duration.ZERO;
    private int maxRecoveries = Integer.MAX_VALUE;
    private Duration window = Duration.ofDays(36500);

    private Builder() {}

    private static Set<StatusCode> preemptionCodes() {
      Set<StatusCode> preemption = EnumSet.noneOf(StatusCode.class);
      for (StatusCode c : StatusCode.values()) {
        if (c.isPreemption()) {
          preemption.add(c);
        }
      }
      return preemption;
    }

    /** The status codes that trigger a recovery (default ABORTED and UNAVAILABLE). */
    public Builder codes(Set<StatusCode> recoverable) {
      Objects.requireNonNull(recoverable, "codes");
      this.codes = EnumSet.noneOf(StatusCode.class);
      this.codes.addAll(recoverable);
      return this;
    }

    /** Exponential backoff: {@code initial}, doubling, at most {@code max}. */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /** At most {@code recoveries} recoveries within any {@code window}. */
    public Builder budget(int recoveries, Duration within) {
      this.maxRecoveries = recoveries;
      this.window = within;
      return this;
    }

    public RecoveryPolicy build() {
      Duration max = maxBackoff.compareTo(initialBackoff) < 0 && maxBackoff.isZero()
          ? initialBackoff : maxBackoff;
      return new RecoveryPolicy(codes, initialBackoff, max, maxRecoveries, window);
    }
  }
}

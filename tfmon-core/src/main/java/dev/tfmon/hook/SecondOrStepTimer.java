package dev.tfmon.hook;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Decides when a periodic action is due: every N steps or every N seconds (exactly one of them),
 * TensorFlow 1.x's {@code SecondOrStepTimer}. It starts reset, so the first step asked about always
 * triggers. Time comes from an injectable {@link Clock}.
 *
 * <pre>{@code
 * SecondOrStepTimer timer = SecondOrStepTimer.everySteps(100);
 * if (timer.shouldTriggerForStep(step)) {
 *   timer.updateLastTriggeredStep(step).ifPresent(e -> log(e.steps() / e.seconds()));
 * }
 * }</pre>
 *
 * <p>Not thread-safe: a hook's calls come from the training thread.
 */
public final class SecondOrStepTimer {
  private final Double everySecs;
  private final Long everySteps;
  private final Clock clock;
  private final boolean never;
  private Double lastTime;
  private Long lastStep;

  /** Seconds and steps elapsed between two triggers. */
  public record Elapsed(double seconds, long steps) {}

  /** A timer for a checked frequency (see {@link Frequency#timer}). */
  SecondOrStepTimer(Frequency frequency) {
    this.everySteps = frequency.steps().isPresent() ? frequency.steps().getAsLong() : null;
    this.everySecs = frequency.secs().isPresent() ? frequency.secs().getAsDouble() : null;
    this.clock = frequency.clock();
    this.never = false;
  }

  private SecondOrStepTimer() {
    this.everySteps = null;
    this.everySecs = null;
    this.clock = Clock.systemUTC();
    this.never = true;
  }

  /** A timer due every {@code steps} steps. */
  public static SecondOrStepTimer everySteps(long steps) {
    return builder().everySteps(steps).build();
  }

  /** A timer due every {@code seconds} seconds of the system clock. */
  public static SecondOrStepTimer everySecs(double seconds) {
    return builder().everySecs(seconds).build();
  }

  /** A timer that never triggers (TensorFlow's {@code NeverTriggerTimer}). */
  public static SecondOrStepTimer never() {
    return new SecondOrStepTimer();
  }

  /**
   * A timer from optional settings, as TensorFlow's constructor takes them.
   *
   * @throws IllegalArgumentException if both or neither of {@code everySecs} and {@code everySteps}
   *     are given, or one is negative
   */
  public static SecondOrStepTimer of(Double everySecs, Long everySteps, Clock clock) {
    Builder b = builder().clock(clock);
    if (everySecs != null) {
      b.everySecs(everySecs);
    }
    if (everySteps != null) {
      b.everySteps(everySteps);
    }
    return b.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** True if the action is due at {@code step}; see TensorFlow's rules in the class comment. */
  public boolean shouldTriggerForStep(long step) {
    if (never) {
      return false;
    }
    if (lastStep == null) {
      return true;
    }
    if (step == lastStep) {
      return false;
    }
    if (everySecs != null) {
      return seconds() >= lastTime + everySecs;
    }
    return step >= lastStep + everySteps;
  }

  /**
   * Records that the action ran at {@code step} now.
   *
   * @return the seconds and steps since the previous trigger; empty the first time
   */
  public Optional<Elapsed> updateLastTriggeredStep(long step) {
    if (never) {
      return Optional.empty();
    }
    double now = seconds();
    Optional<Elapsed> elapsed =
        lastStep == null ? Optional.empty() : Optional.of(new Elapsed(now - lastTime, step - lastStep));
    lastTime = now;
    lastStep = step;
    return elapsed;
  }

  /** The step of the last trigger, or empty if it never triggered. */
  public OptionalLong lastTriggeredStep() {
    return lastStep == null ? OptionalLong.empty() : OptionalLong.of(lastStep);
  }

  /** Forgets the last trigger. */
  public void reset() {
    lastStep = null;
    lastTime = null;
  }

  private double seconds() {
    Instant now = clock.instant();
    return now.getEpochSecond() + now.getNano() / 1e9;
  }

  @Override
  public String toString() {
    if (never) {
      return "SecondOrStepTimer[never]";
    }
    return everySecs != null
        ? "SecondOrStepTimer[every " + everySecs + " s]"
        : "SecondOrStepTimer[every " + everySteps + " steps]";
  }

  /** Builds a {@link SecondOrStepTimer}; exactly one of the two frequencies must be set. */
  public static final class Builder {
    private Frequency frequency = Frequency.unset();

    private Builder() {}

    public Builder everySecs(double seconds) {
      frequency = frequency.withSecs(seconds);
      return this;
    }

    public Builder everySteps(long steps) {
      frequency = frequency.withSteps(steps);
      return this;
    }

    /** The time source for seconds mode (default: the system clock). */
    public Builder clock(Clock c) {
      frequency = frequency.withClock(c);
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the values if both or neither frequency is set, or
     *     the one set is negative
     */
    public SecondOrStepTimer build() {
      return frequency.timer("everySteps", "everySecs");
    }
  }
}

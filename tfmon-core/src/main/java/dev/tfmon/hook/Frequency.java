package dev.tfmon.hook;

import java.time.Clock;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * How often something periodic happens: every N global steps or every N seconds, not both (TF
 * 1.x's {@code every_steps}/{@code every_secs} pair, {@code save_steps}/{@code save_secs} and the
 * like), with the clock the seconds are read from. An immutable value: the periodic hooks' builders
 * keep one, their setters replace it, and {@code build()} checks it under the builder's own
 * setting names ({@link #timer}), so every such builder validates alike.
 *
 * <pre>{@code
 * Frequency hourly = Frequency.everySecs(3600).withClock(clock);
 * SecondOrStepTimer timer = Frequency.everySteps(100).timer("saveSteps", "saveSecs");
 * }</pre>
 */
public final class Frequency {
  private static final Frequency UNSET = new Frequency(null, null, Clock.systemUTC());

  private final Long steps;
  private final Double secs;
  private final Clock clock;

  private Frequency(Long steps, Double secs, Clock clock) {
    this.steps = steps;
    this.secs = secs;
    this.clock = clock;
  }

  /** Neither steps nor seconds yet, on the system clock. */
  public static Frequency unset() {
    return UNSET;
  }

  /** Every {@code steps} global steps (checked when used). */
  public static Frequency everySteps(long steps) {
    return UNSET.withSteps(steps);
  }

  /** Every {@code secs} seconds of the system clock (checked when used). */
  public static Frequency everySecs(double secs) {
    return UNSET.withSecs(secs);
  }

  /** This frequency with the step count set (a seconds setting stays, and is an error if used). */
  public Frequency withSteps(long everySteps) {
    return new Frequency(everySteps, secs, clock);
  }

  /** This frequency with the seconds set (a step count stays, and is an error if used). */
  public Frequency withSecs(double everySecs) {
    return new Frequency(steps, everySecs, clock);
  }

  /** This frequency read on {@code c} (default: the system clock). */
  public Frequency withClock(Clock c) {
    return new Frequency(steps, secs, Objects.requireNonNull(c, "clock"));
  }

  /** This frequency, or every {@code defaultSteps} steps if neither steps nor seconds are set. */
  public Frequency orEverySteps(long defaultSteps) {
    return isSet() ? this : withSteps(defaultSteps);
  }

  public OptionalLong steps() {
    return steps == null ? OptionalLong.empty() : OptionalLong.of(steps);
  }

  public OptionalDouble secs() {
    return secs == null ? OptionalDouble.empty() : OptionalDouble.of(secs);
  }

  public Clock clock() {
    return clock;
  }

  /** True if steps or seconds are set. */
  public boolean isSet() {
    return steps != null || secs != null;
  }

  /**
   * Checks that at most one of steps and seconds is set and that it is not negative (nor NaN).
   *
   * @param stepsSetting and {@code secsSetting}: the names the error messages use
   * @throws IllegalArgumentException naming the settings and their values otherwise
   */
  public Frequency checkAtMostOne(String stepsSetting, String secsSetting) {
    if (steps != null && secs != null) {
      throw new IllegalArgumentException(
          stepsSetting + " (" + steps + ") and " + secsSetting + " (" + secs
              + ") are both set: set only one of them");
    }
    if (steps != null && steps < 0) {
      throw new IllegalArgumentException("expected " + stepsSetting + " >= 0, but got " + steps);
    }
    if (secs != null && !(secs >= 0)) {
      throw new IllegalArgumentException("expected " + secsSetting + " >= 0, but got " + secs);
    }
    return this;
  }

  /**
   * A new timer for this frequency, after checking that exactly one of steps and seconds is set
   * and not negative.
   *
   * @throws IllegalArgumentException naming {@code stepsSetting} and {@code secsSetting} and their
   *     values otherwise
   */
  public SecondOrStepTimer timer(String stepsSetting, String secsSetting) {
    checkAtMostOne(stepsSetting, secsSetting);
    if (!isSet()) {
      throw new IllegalArgumentException(
          "neither " + stepsSetting + " nor " + secsSetting + " is set: set one of them");
    }
    return new SecondOrStepTimer(this);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Frequency f
        && Objects.equals(steps, f.steps)
        && Objects.equals(secs, f.secs)
        && clock.equals(f.clock);
  }

  @Override
  public int hashCode() {
    return Objects.hash(steps, secs, clock);
  }

  @Override
  public String toString() {
    if (steps != null && secs != null) {
      return "every " + steps + " steps and every " + secs + " s (contradictory)";
    }
    if (steps != null) {
      return "every " + steps + " steps";
    }
    return secs != null ? "every " + secs + " s" : "unset";
  }
}

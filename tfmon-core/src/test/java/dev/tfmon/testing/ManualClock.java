package dev.tfmon.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A UTC clock that moves only when a test tells it to: the one fake clock of the test suites, for
 * code that takes a {@link Clock} (timers, savers, event files).
 *
 * <pre>{@code
 * ManualClock clock = new ManualClock();
 * SecondOrStepTimer timer = SecondOrStepTimer.builder().everySecs(1).clock(clock).build();
 * clock.advanceSeconds(1.5);
 * }</pre>
 */
public final class ManualClock extends Clock {
  private volatile Instant now;

  /** A clock at an arbitrary, fixed instant (second 1,000,000 of the epoch). */
  public ManualClock() {
    this(Instant.ofEpochSecond(1_000_000));
  }

  public ManualClock(Instant start) {
    this.now = start;
  }

  /** A clock at {@code seconds} since the epoch (fractions kept to the nanosecond). */
  public static ManualClock atSeconds(double seconds) {
    long whole = (long) Math.floor(seconds);
    return new ManualClock(Instant.ofEpochSecond(whole, Math.round((seconds - whole) * 1e9)));
  }

  /** A clock at {@code millis} milliseconds since the epoch. */
  public static ManualClock atMillis(long millis) {
    return new ManualClock(Instant.ofEpochMilli(millis));
  }

  public void advance(Duration d) {
    now = now.plus(d);
  }

  public void advanceSeconds(double seconds) {
    advance(Duration.ofNanos(Math.round(seconds * 1e9)));
  }

  /** Moves the clock to {@code millis} since the epoch (backwards too). */
  public void setMillis(long millis) {
    now = Instant.ofEpochMilli(millis);
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}

package dev.tfmon.hook;

import java.time.Clock;
import java.util.Objects;

/**
 * What the builders of the hooks that save every N steps or seconds share ({@link
 * CheckpointSaverHook}, {@link SummarySaverHook}, {@link ProfilerHook}): the {@link Frequency}
 * behind {@code saveSteps}, {@code saveSecs} and {@code clock}, checked at {@code build()} under
 * those names.
 *
 * <pre>{@code
 * SummarySaverHook every30s = SummarySaverHook.builder().saveSecs(30).outputDir(dir).scaffold(scaffold).build();
 * SummarySaverHook same = SummarySaverHook.builder().every(Frequency.everySecs(30)).outputDir(dir).scaffold(scaffold).build();
 * }</pre>
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class SavingHookBuilder<B extends SavingHookBuilder<B>> {
  private Frequency every = Frequency.unset();

  SavingHookBuilder() {}

  /** Steps, seconds and clock at once (replacing what the other setters set). */
  public B every(Frequency frequency) {
    every = Objects.requireNonNull(frequency, "every");
    return self();
  }

  /** Save every {@code steps} global steps (excludes {@link #saveSecs}). */
  public B saveSteps(long steps) {
    every = every.withSteps(steps);
    return self();
  }

  /** Save every {@code secs} seconds (excludes {@link #saveSteps}). */
  public B saveSecs(double secs) {
    every = every.withSecs(secs);
    return self();
  }

  /** The time source for {@link #saveSecs} (default: the system clock). */
  public B clock(Clock c) {
    every = every.withClock(c);
    return self();
  }

  /**
   * A timer for the frequency set.
   *
   * @throws IllegalArgumentException naming the values unless exactly one of saveSteps and
   *     saveSecs is set, and not negative
   */
  SecondOrStepTimer timer() {
    return every.timer("saveSteps", "saveSecs");
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }
}

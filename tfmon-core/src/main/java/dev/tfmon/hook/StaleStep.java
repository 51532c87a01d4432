package dev.tfmon.hook;

import java.util.function.LongPredicate;
import org.tensorflow.Output;
import org.tensorflow.types.TInt64;

/**
 * The global step a standard hook sees after a run: the "stale" value fetched alongside the run
 * (read before the train op's increment, as in TensorFlow 1.x), or, between fetches, counted.
 *
 * <p>With {@code fetchEveryNRuns} 1 (the default) the step is fetched in every run, TensorFlow
 * 1.x's behaviour. With N above 1 a hook fetches it in one run out of N, and in any run where its
 * timer may fire at the counted step ({@code last fetched + runs since × stepsPerRun}); in the other
 * runs it asks for nothing, so a loop whose hooks all ask for nothing takes the hooked session's
 * fast path. The count is exact when only this loop advances the step by {@code stepsPerRun} a
 * run; when something else advances it too (other workers, runs without hooks), a hook sees the
 * step up to N runs late, so a step-based timer can fire up to N runs later than in TensorFlow 1.x;
 * a seconds-based timer that becomes due during a run that did not fetch fires one run later.
 * What a hook records when its timer fires (summaries, checkpoints, steps/sec) still uses the step
 * it reads then, as before.
 *
 * <p>Not thread-safe: a hook's calls come from the training thread.
 */
final class StaleStep {
  private final int fetchEveryNRuns;
  private final int stepsPerRun;
  private long lastFetched;
  private boolean known;
  private int runsSinceFetch;
  private boolean fetching;

  StaleStep(int fetchEveryNRuns, int stepsPerRun) {
    this.fetchEveryNRuns = requireFetchEveryNRuns(fetchEveryNRuns);
    this.stepsPerRun = stepsPerRun;
  }

  /** {@code n}, checked to be a valid {@code fetchStepEveryNRuns} (at least 1). */
  static int requireFetchEveryNRuns(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("expected fetchStepEveryNRuns of at least 1, but got " + n);
    }
    return n;
  }

  /** Forgets what was fetched (a new session). */
  void reset() {
    known = false;
    runsSinceFetch = 0;
    fetching = false;
  }

  /**
   * Decides, before a run, whether it fetches the step: always in TensorFlow 1.x's mode, when
   * {@code force} (the hook fetches it anyway), when nothing was fetched yet, once every N runs,
   * or when {@code mayFireAt} holds for the counted stale step.
   */
  boolean fetchBefore(boolean force, LongPredicate mayFireAt) {
    fetching =
        force
            || fetchEveryNRuns == 1
            || !known
            || runsSinceFetch >= fetchEveryNRuns
            || mayFireAt.test(counted());
    return fetching;
  }

  /** True if the run now ending fetched the step. */
  boolean fetched() {
    return fetching;
  }

  /** After the run: the stale step, read from {@code values} if it was fetched, else counted. */
  long afterRun(SessionRunValues values, Output<TInt64> stepRead) {
    if (fetching) {
      lastFetched = values.getLong(stepRead);
      known = true;
      runsSinceFetch = 1;
      return lastFetched;
    }
    long stale = counted();
    runsSinceFetch++;
    return stale;
  }

  private long counted() {
    return lastFetched + (long) runsSinceFetch * stepsPerRun;
  }
}

package dev.tfmon.hook;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import org.tensorflow.Output;
import org.tensorflow.types.TInt64;

/**
 * Requests a stop once the global step reaches a last step: given directly, or as a number of
 * steps counted from the global step of the first session (TensorFlow 1.x's {@code
 * StopAtStepHook}). Recovery keeps the last step computed at the first session.
 *
 * <pre>{@code
 * session = MonitoredTrainingSession.builder(graph).hook(StopAtStepHook.numSteps(1000)).build();
 * StopAtStepHook.lastStep(50_000);   // stop at global step 50,000 whatever it starts from
 * }</pre>
 *
 * <p>The stop is checked after a run, so a session whose global step already reached the last step
 * still runs once (HK-STOP-4).
 */
public final class StopAtStepHook implements SessionRunHook {
  private final Long numSteps;
  private Long lastStep;
  private final int stepsPerRun;
  private Output<TInt64> stepRead;
  private SessionRunArgs args;

  /** Stops after {@code numSteps} steps from the first session's global step (Python's positional form). */
  public StopAtStepHook(long numSteps) {
    this(numSteps, null, 1);
  }

  private StopAtStepHook(Long numSteps, Long lastStep, int stepsPerRun) {
    if (numSteps == null && lastStep == null) {
      throw new IllegalArgumentException(
          "neither numSteps nor lastStep is given: say when to stop with one of them");
    }
    if (numSteps != null && lastStep != null) {
      throw new IllegalArgumentException(
          "numSteps (" + numSteps + ") and lastStep (" + lastStep + ") are both given: give only one");
    }
    if (numSteps != null && numSteps < 0) {
      throw new IllegalArgumentException("expected numSteps >= 0, but got " + numSteps);
    }
    this.numSteps = numSteps;
    this.lastStep = lastStep;
    this.stepsPerRun = HookSupport.requireStepsPerRun(stepsPerRun);
  }

  /** Stops after {@code numSteps} steps counted from the first session's global step. */
  public static StopAtStepHook numSteps(long numSteps) {
    return new StopAtStepHook(numSteps, null, 1);
  }

  /** Stops once the global step is at least {@code lastStep}. */
  public static StopAtStepHook lastStep(long lastStep) {
    return new StopAtStepHook(null, lastStep, 1);
  }

  /**
   * TensorFlow's two optional arguments, for ports of Python code: exactly one must be non-null.
   *
   * @throws IllegalArgumentException if both or neither are given
   */
  public static StopAtStepHook of(Long numSteps, Long lastStep) {
    return new StopAtStepHook(numSteps, lastStep, 1);
  }

  /** A copy of this hook told that each run advances the global step by {@code steps}. */
  public StopAtStepHook withStepsPerRun(int steps) {
    return new StopAtStepHook(numSteps, lastStep, steps);
  }

  /** The last step, once known (after the first session creation when counting steps). */
  public synchronized Long lastStep() {
    return lastStep;
  }

  @Override
  public void begin(BeginContext context) {
    stepRead = HookSupport.stepRead(context.graph(), "StopAtStepHook");
    args = SessionRunArgs.fetch(stepRead);
  }

  @Override
  public synchronized void afterCreateSession(RunnableSession session, Coordinator coordinator) {
    if (lastStep == null) {
      lastStep = GlobalStep.value(session) + numSteps;
    }
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return args;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    long stale = values.getLong(stepRead);
    long last = lastStep();
    if (stale + stepsPerRun >= last) {
      // The fetched value predates this run's increment: re-read before deciding.
      long step = GlobalStep.value(context.session());
      if (step >= last) {
        context.requestStop();
      }
    }
  }
}

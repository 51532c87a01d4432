package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.function.Function;

/**
 * What a step function can do: run the raw {@link #session()} (hooks are not called), run through
 * the hooks and the coordinator with {@link #runWithHooks}, or end the loop with {@link
 * #requestStop()}.
 *
 * <pre>{@code
 * float loss = session.runStepFn(step -> {
 *   step.session().runner().addTarget(prepare).runTargets();     // no hooks
 *   try (RunResult r = step.runWithHooks(SessionRunArgs.builder().fetch(loss).target(train).build())) {
 *     return r.getFloat(loss);
 *   }
 * });
 * }</pre>
 */
public final class StepContext {
  private final NativeSession session;
  private final Function<SessionRunArgs, RunResult> runWithHooks;

  StepContext(NativeSession session, Function<SessionRunArgs, RunResult> runWithHooks) {
    this.session = session;
    this.runWithHooks = runWithHooks;
  }

  /** The current raw session: runs on it bypass every hook. */
  public NativeSession session() {
    return session;
  }

  /** Runs with hooks and coordinator, exactly like {@link MonitoredSession#run(SessionRunArgs)}. */
  public RunResult runWithHooks(SessionRunArgs args) {
    return runWithHooks.apply(args);
  }

  /**
   * Ends the step at once and makes the monitored session stop.
   *
   * @throws StopRequestedException always
   */
  public <T> T requestStop() {
    throw new StopRequestedException();
  }
}

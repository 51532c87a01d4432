package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.function.Function;
import org.tensorflow.Graph;

/**
 * The bottom layer: a raw {@link NativeSession}, which never asks to stop. Runs with and without
 * hooks are the same run here.
 *
 * <pre>{@code
 * SessionLayer bottom = new RawSessionLayer(NativeSession.open(graph));
 * }</pre>
 */
public final class RawSessionLayer implements SessionLayer {
  private final NativeSession session;

  public RawSessionLayer(NativeSession session) {
    this.session = session;
  }

  @Override
  public Graph graph() {
    return session.graph();
  }

  @Override
  public String target() {
    return session.target();
  }

  @Override
  public RunResult run(SessionRunArgs args) {
    return args.applyTo(session.runner()).run();
  }

  @Override
  public RunResult runWithoutHooks(SessionRunArgs args) {
    return run(args);
  }

  @Override
  public <R> R runStepFn(StepFn<R> stepFn, Function<SessionRunArgs, RunResult> runWithHooks) {
    try {
      return stepFn.apply(new StepContext(session, runWithHooks != null ? runWithHooks : this::run));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new StepFunctionException(e);
    }
  }

  @Override
  public boolean shouldStop() {
    return false;
  }

  @Override
  public NativeSession rawSession() {
    return session;
  }

  @Override
  public void close() {
    // After the coordinator's grace period a thread still inside a run (a queue runner blocked
    // on an accumulator) is cancelled, as TF 1.x's session close does, instead of waited for.
    session.cancelAndClose();
  }
}

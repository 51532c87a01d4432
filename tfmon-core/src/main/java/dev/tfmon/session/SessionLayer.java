package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.function.Function;
import org.tensorflow.Graph;

/**
 * One layer of a monitored session: the raw session at the bottom ({@link RawSessionLayer}), then
 * {@link HookedSession}, {@link CoordinatedSession} and a recovery layer ({@link
 * RecoverableSession}, or {@code PassThroughRecovery} for a session without recovery) stacked on
 * it, each knowing only the layer beneath.
 *
 * <p>Every call goes down through every layer, and each layer adds its one concern to it or lets
 * it pass: {@link #runWithoutHooks} is passed by the hooked layer but still recovered by the
 * recovery layer; {@link #runStepFn} is retried as a whole by the recovery layer.
 *
 * <pre>{@code
 * SessionLayer stack = new CoordinatedSession(
 *     new HookedSession(new RawSessionLayer(NativeSession.open(graph)), hooks), coordinator, grace);
 * try (RunResult r = stack.run(SessionRunArgs.fetch(loss))) { ... }
 * }</pre>
 */
public interface SessionLayer extends AutoCloseable {

  /** The graph the session runs. */
  Graph graph();

  /** The session target ({@code ""} in-process, {@code grpc://...} for a cluster). */
  String target();

  /** Runs once; the caller owns the returned tensors. */
  RunResult run(SessionRunArgs args);

  /**
   * Runs once without calling any hook: {@link HookedSession} passes the call by, every other
   * layer treats it like {@link #run} (so recovery still applies); the caller owns the tensors.
   */
  RunResult runWithoutHooks(SessionRunArgs args);

  /**
   * Calls a step function with a {@link StepContext} over the raw session at the bottom.
   *
   * @param runWithHooks what the step's {@link StepContext#runWithHooks} runs; null means this
   *     layer's own {@link #run}, and each layer passes the one it received (or its own) down
   * @throws StepFunctionException wrapping a checked exception thrown by {@code stepFn}
   */
  <R> R runStepFn(StepFn<R> stepFn, Function<SessionRunArgs, RunResult> runWithHooks);

  /** True when the training loop should end. */
  boolean shouldStop();

  /**
   * The raw session at the bottom of the stack, for what hooks borrow ({@code
   * NativeSession.runOnly()}) and for callers that own a raw-session view. Layers never run on it
   * directly: a run without hooks is {@link #runWithoutHooks}.
   *
   * @throws IllegalStateException if this layer is closed
   */
  NativeSession rawSession();

  @Override
  void close();
}

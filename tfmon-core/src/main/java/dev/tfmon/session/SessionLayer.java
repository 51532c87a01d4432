package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import org.tensorflow.Graph;

/**
 * One layer of a monitored session: the raw session at the bottom ({@link RawSessionLayer}), then
 * {@link HookedSession}, {@link CoordinatedSession} and {@link RecoverableSession} stacked on it,
 * each knowing only the layer beneath.
 */
public interface SessionLayer extends AutoCloseable {

  /** The graph the session runs. */
  Graph graph();

  /** The session target ({@code ""} in-process, {@code grpc://...} for a cluster). */
  String target();

  /** Runs once; the caller owns the returned tensors. */
  RunResult run(SessionRunArgs args);

  /** True when the training loop should end. */
  boolean shouldStop();

  /**
   * The raw session at the bottom of the stack.
   *
   * @throws IllegalStateException if this layer is closed
   */
  NativeSession rawSession();

  @Override
  void close();
}

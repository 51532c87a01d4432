package dev.tfmon.runtime;

import org.tensorflow.Graph;

/**
 * A session lent to code that may run it but does not own it: hooks, savers, readiness checks. It
 * runs ops (no hook sees these runs) and reads the graph; it cannot be closed, and the session
 * layers hand hooks {@link NativeSession#runOnly()}, a view that cannot be cast back to the
 * session either. {@link NativeSession} is one, so code that owns a session passes it as it is.
 *
 * <pre>{@code
 * public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
 *   try (RunResult r = session.run(SessionRunArgs.fetch(step))) {
 *     start = r.getLong(step);
 *   }
 * }
 * }</pre>
 */
public interface RunnableSession {

  /** The graph the session runs; read it, but it is finalized while a monitored session runs. */
  Graph graph();

  /** The session target ({@code ""} in-process, {@code grpc://host:port} for a cluster task). */
  String target();

  /** A new builder for one run. */
  Runner runner();

  /**
   * Runs {@code args} once; the caller owns the returned tensors.
   *
   * @throws dev.tfmon.errors.TensorFlowStatusException the typed exception for TensorFlow's status
   * @throws IllegalStateException if the session is closed
   */
  default RunResult run(SessionRunArgs args) {
    return args.applyTo(runner()).run();
  }
}

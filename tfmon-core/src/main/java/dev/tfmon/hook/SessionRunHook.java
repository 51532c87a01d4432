package dev.tfmon.hook;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.SessionRunArgs;
import org.tensorflow.Graph;

/**
 * Code that piggybacks on a monitored session's life and runs. Every method is a no-op by
 * default, so a hook implements only what it needs, often as a lambda through {@link Hooks}.
 *
 * <p>Order: {@link #begin()} once, before any session exists (a hook may add ops to the graph
 * there); {@link #afterCreateSession} after every session creation, including each recovery; for
 * each run {@link #beforeRun} (return args to fetch, feed or set options in the same run) and, if
 * the run succeeded, {@link #afterRun} with the results of this hook's own fetches; {@link #end}
 * once at a clean close (not when the session closes because of an error other than the end of the
 * input).
 *
 * <pre>{@code
 * SessionRunHook printLoss = new SessionRunHook() {
 *   public SessionRunArgs beforeRun(SessionRunContext ctx) { return SessionRunArgs.fetch(loss); }
 *   public void afterRun(SessionRunContext ctx, SessionRunValues v) {
 *     System.out.println(((TFloat32) v.get(0)).getFloat());
 *   }
 * };
 * }</pre>
 */
public interface SessionRunHook {

  /** Called once before the session is created; the graph can still be changed. */
  default void begin() {}

  /**
   * Called once before the session is created, with the graph the session will run; the default
   * calls {@link #begin()}. Hooks that need graph elements (the global step's read tensor, tensors
   * given by name) resolve them here, since TF Java has no default graph.
   */
  default void begin(Graph graph) {
    begin();
  }

  /** Called after each session creation, with the model initialized or restored. */
  default void afterCreateSession(NativeSession session, Coordinator coordinator) {}

  /** Called before each run; returns what to add to it, or null for nothing. */
  default SessionRunArgs beforeRun(SessionRunContext context) {
    return null;
  }

  /** Called after each successful run with the values this hook asked for. */
  default void afterRun(SessionRunContext context, SessionRunValues values) {}

  /** Called once when the monitored session closes cleanly. */
  default void end(NativeSession session) {}
}

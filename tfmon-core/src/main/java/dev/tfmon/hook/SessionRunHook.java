package dev.tfmon.hook;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;

/**
 * Code that piggybacks on a monitored session's life and runs. Every method is a no-op by
 * default, so a hook implements only what it needs, often as a lambda through {@link Hooks}.
 *
 * <p>Order: {@link #begin} once, before any session exists (a hook may add ops to the graph
 * there); {@link #afterCreateSession} after every session creation, including each recovery; for
 * each run {@link #beforeRun} (return args to fetch, feed or set options in the same run) and, if
 * the run succeeded, {@link #afterRun} with the results of this hook's own fetches; {@link #end}
 * once at a clean close (not when the session closes because of an error other than the end of the
 * input).
 *
 * <p>A hook sees a narrow context, as a JUnit 5 extension does: the graph at {@code begin}, then a
 * {@link RunnableSession} (run ops without hooks, read the graph; never close it) and the
 * coordinator of the session's threads, and per run a {@link SessionRunContext}.
 *
 * <pre>{@code
 * SessionRunHook printLoss = new SessionRunHook() {
 *   public SessionRunArgs beforeRun(SessionRunContext ctx) { return SessionRunArgs.fetch(loss); }
 *   public void afterRun(SessionRunContext ctx, SessionRunValues v) {
 *     System.out.println(v.getFloat(loss));
 *   }
 * };
 * }</pre>
 */
public interface SessionRunHook {

  /**
   * The name that reports show (the hook-cost report, logs): the class's simple name by default,
   * or the class name without its package for an anonymous class. {@link Hooks} names its lambda
   * hooks after the line that made them.
   */
  default String name() {
    Class<?> type = getClass();
    String simple = type.getSimpleName();
    if (!simple.isEmpty() && !type.isSynthetic()) {
      return simple;
    }
    String full = type.getName();
    return full.substring(full.lastIndexOf('.') + 1);
  }

  /** Called once before the session is created, with the graph, which can still be changed. */
  default void begin(BeginContext context) {}

  /**
   * Called after each session creation, with the model initialized or restored: {@code session}
   * runs without hooks.
   */
  default void afterCreateSession(RunnableSession session, Coordinator coordinator) {}

  /** Called before each run; returns what to add to it, or null for nothing. */
  default SessionRunArgs beforeRun(SessionRunContext context) {
    return null;
  }

  /** Called after each successful run with the values this hook asked for. */
  default void afterRun(SessionRunContext context, SessionRunValues values) {}

  /** Called once when the monitored session closes cleanly. */
  default void end(RunnableSession session) {}
}

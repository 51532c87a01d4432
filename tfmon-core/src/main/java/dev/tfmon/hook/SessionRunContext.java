package dev.tfmon.hook;

import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;

/**
 * The run a hook is taking part in: the caller's original args, the session (runs on it bypass
 * every hook; it cannot be closed), and a stop flag that any hook may raise. One context is shared by all hooks of one
 * run, so a stop requested by an earlier hook is visible to later ones.
 */
public final class SessionRunContext {
  private final SessionRunArgs callerArgs;
  private final RunnableSession session;
  private SessionRunArgs originalArgs;
  private volatile boolean stopRequested;

  /**
   * @param callerArgs the caller's args; hooks see them without options and metadata request, as
   *     in TensorFlow
   */
  public SessionRunContext(SessionRunArgs callerArgs, RunnableSession session) {
    this.callerArgs = callerArgs;
    this.session = session;
  }

  /** The caller's fetches, targets and feeds (without options). */
  public synchronized SessionRunArgs originalArgs() {
    if (originalArgs == null) {
      originalArgs =
          callerArgs.options() == null && !callerArgs.wantMetadata()
              ? callerArgs
              : new SessionRunArgs(
                  callerArgs.fetches(), callerArgs.targets(), callerArgs.feeds(), null, false);
    }
    return originalArgs;
  }

  /** The session, to run without hooks (runs on it call no hook) and to read the graph. */
  public RunnableSession session() {
    return session;
  }

  /** Asks the monitored session to stop after this run; it cannot be undone. */
  public void requestStop() {
    stopRequested = true;
  }

  /** True once a hook called {@link #requestStop()}. */
  public boolean stopRequested() {
    return stopRequested;
  }
}

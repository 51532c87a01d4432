package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import org.tensorflow.Graph;

/**
 * Makes the raw sessions of a monitored session: the first one and one per recovery.
 * {@link ChiefSessionCreator} initializes or restores; {@link WorkerSessionCreator} waits for a
 * chief to have done so.
 */
public interface SessionCreator {

  /** The graph the sessions run. */
  Graph graph();

  /** A new raw session, initialized (or restored) and ready; the caller closes it. */
  NativeSession createSession();
}

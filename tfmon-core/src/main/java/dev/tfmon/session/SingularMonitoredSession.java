package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.proto.ConfigProto;

/**
 * A monitored session without recovery that exposes its raw session: TensorFlow 1.x's
 * {@code SingularMonitoredSession}. Always a chief: it initializes or restores the model itself.
 * Its stack has a pass-through recovery layer ({@code PassThroughRecovery}): every error
 * propagates, and an exception reported by a background thread is thrown by {@link #shouldStop()}
 * itself.
 *
 * <pre>{@code
 * try (SingularMonitoredSession s =
 *     SingularMonitoredSession.builder(Scaffold.of(graph), null, null, dir, null).build()) {
 *   NativeSession raw = s.rawSession();
 * }
 * }</pre>
 */
public final class SingularMonitoredSession extends AbstractMonitoredSession {

  private SingularMonitoredSession(Builder<SingularMonitoredSession> b) {
    super(b, false);
  }

  /** A builder with a chief creator over {@code scaffold} (no master, no checkpoint). */
  public static Builder<SingularMonitoredSession> builder(Scaffold scaffold) {
    return new Builder<>(ChiefSessionCreator.builder(scaffold).build(), SingularMonitoredSession::new);
  }

  /** A builder with a default Scaffold of {@code graph}. */
  public static Builder<SingularMonitoredSession> builder(Graph graph) {
    return builder(Scaffold.of(graph));
  }

  /**
   * A builder with a chief creator configured like Python's constructor arguments. Every argument
   * but {@code scaffold} may be null for "not given": a null {@code master} is {@code ""} (in
   * process, Python's default), a null {@code config} the default session options, a null {@code
   * checkpointDir} or {@code checkpointPath} no restore from there.
   *
   * @throws NullPointerException if {@code scaffold} is null
   * @throws IllegalArgumentException if both {@code checkpointDir} and {@code checkpointPath} are
   *     given (they exclude each other)
   */
  public static Builder<SingularMonitoredSession> builder(
      Scaffold scaffold, String master, ConfigProto config, Path checkpointDir, String checkpointPath) {
    ChiefSessionCreator.Builder chief =
        ChiefSessionCreator.builder(Objects.requireNonNull(scaffold, "scaffold"))
            .master(master == null ? "" : master);
    if (config != null) {
      chief.config(config);
    }
    if (checkpointDir != null) {
      chief.checkpointDir(checkpointDir);
    }
    if (checkpointPath != null) {
      chief.checkpointPath(checkpointPath);
    }
    return new Builder<>(chief.build(), SingularMonitoredSession::new);
  }

  /**
   * The raw session: runs on it call no hook and have no recovery. It is closed with this session.
   *
   * <p>TF 1.x returns None once the session is closed; here a closed session is never handed out
   * and asking for it is an error (check {@link #isClosed()} first where that can happen).
   *
   * @throws IllegalStateException once this session is closed
   */
  public NativeSession rawSession() {
    if (isClosed()) {
      throw new IllegalStateException(
          "this SingularMonitoredSession is closed, and its raw session was closed with it: take the"
              + " raw session before close()");
    }
    return chain().rawSession();
  }
}

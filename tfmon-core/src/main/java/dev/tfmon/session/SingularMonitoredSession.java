package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.proto.ConfigProto;

/**
 * A monitored session without recovery that exposes its raw session: TensorFlow 1.x's
 * {@code SingularMonitoredSession}. Always a chief: it initializes or restores the model itself.
 * An exception reported by a background thread is thrown by {@link #shouldStop()} itself.
 *
 * <pre>{@code
 * try (SingularMonitoredSession s = SingularMonitoredSession.builder(graph).checkpointDir(dir).build()) {
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
   * A builder with a chief creator configured like Python's constructor arguments ({@code
   * checkpointDir} and {@code checkpointPath} exclude each other; pass null for the ones unused).
   */
  public static Builder<SingularMonitoredSession> builder(
      Scaffold scaffold, String master, ConfigProto config, Path checkpointDir, String checkpointPath) {
    ChiefSessionCreator.Builder chief = ChiefSessionCreator.builder(scaffold).master(master).config(config);
    if (checkpointDir != null) {
      chief.checkpointDir(checkpointDir);
    }
    if (checkpointPath != null) {
      chief.checkpointPath(checkpointPath);
    }
    return new Builder<>(chief.build(), SingularMonitoredSession::new);
  }

  /** The raw session: runs on it call no hook. */
  public NativeSession rawSession() {
    return chain().rawSession();
  }
}

package dev.tfmon.session;

import dev.tfmon.scaffold.Scaffold;
import org.tensorflow.Graph;

/**
 * A training session that initializes or restores the model, calls hooks around every run, owns
 * the coordinator of background threads and recreates the session when it is lost (ABORTED,
 * UNAVAILABLE): TensorFlow 1.x's {@code tf.train.MonitoredSession}, as a stack of layers
 * ({@link RecoverableSession} over {@link CoordinatedSession} over {@link HookedSession} over the
 * raw session). Everything it does is described on {@link AbstractMonitoredSession}.
 *
 * <pre>{@code
 * try (MonitoredSession session = MonitoredSession.builder(graph).hook(new StopAtStepHook(1000)).build()) {
 *   session.runUntilStopped(s -> s.run(trainOp));   // ends cleanly on OUT_OF_RANGE or a stop request
 * }
 * }</pre>
 */
public final class MonitoredSession extends AbstractMonitoredSession {

  private MonitoredSession(Builder<MonitoredSession> b) {
    super(b, true);
  }

  /** A builder whose default session creator is a chief over a default Scaffold of {@code graph}. */
  public static Builder<MonitoredSession> builder(Graph graph) {
    return new Builder<>(ChiefSessionCreator.of(graph), MonitoredSession::new);
  }

  /** A builder over an explicit session creator. */
  public static Builder<MonitoredSession> builder(SessionCreator creator) {
    return new Builder<>(java.util.Objects.requireNonNull(creator, "creator"), MonitoredSession::new);
  }
}

package dev.tfmon.session;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer that owns the {@link Coordinator} of a session's background threads (queue runners and
 * the threads hooks register). It asks to stop when the coordinator was told to stop, re-raising an
 * exception a thread reported; when a run fails while a thread has reported ABORTED or UNAVAILABLE,
 * that report (the root cause) is thrown instead. Closing stops the coordinator and joins the
 * threads within the grace period before closing the layer beneath.
 */
public class CoordinatedSession extends WrappedSession {
  private static final Logger LOG = LoggerFactory.getLogger(CoordinatedSession.class);

  private final Coordinator coordinator;
  private final Duration stopGracePeriod;

  public CoordinatedSession(SessionLayer inner, Coordinator coordinator, Duration stopGracePeriod) {
    super(inner);
    this.coordinator = coordinator;
    this.stopGracePeriod = stopGracePeriod;
  }

  /** The coordinator of this session's threads. */
  public Coordinator coordinator() {
    return coordinator;
  }

  @Override
  protected boolean checkStop() {
    coordinator.raiseRequestedException();
    return coordinator.shouldStop();
  }

  @Override
  public RunResult run(SessionRunArgs args) {
    try {
      return super.run(args);
    } catch (RuntimeException e) {
      if (Preemption.isPreemption(e)) {
        throw e;
      }
      TensorFlowStatusException reported =
          coordinator.recordedException().map(Preemption::statusOf).orElse(null);
      if (reported != null && reported.isPreemption()) {
        reported.addSuppressed(e);
        throw reported;
      }
      throw e;
    }
  }

  @Override
  public void close() {
    coordinator.requestStop();
    try {
      coordinator.join(List.of(), stopGracePeriod, true);
    } finally {
      try {
        super.close();
      } catch (RuntimeException e) {
        LOG.debug("error while closing the session beneath the coordinator, ignored", e);
      }
    }
  }
}

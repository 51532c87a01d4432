package dev.tfmon.session;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer that owns the {@link Coordinator} of a session's background threads (queue runners and
 * the threads hooks register). It asks to stop when the coordinator was told to stop, re-raising an
 * exception a thread reported. When a run (with or without hooks) fails with an error the {@link
 * RecoveryPolicy} does not recover from while a thread has reported one it does (ABORTED or
 * UNAVAILABLE by default), that report is the root cause and is thrown instead. A step function
 * passes through as it is: its runs with hooks get this treatment, and its raw runs are the
 * step's own (a report shows at the next {@link #shouldStop()}).
 * Closing stops the coordinator and joins the threads within the grace period before closing the
 * layer beneath.
 *
 * <pre>{@code
 * SessionLayer coordinated = new CoordinatedSession(hooked, new Coordinator(), Duration.ofSeconds(120));
 * }</pre>
 */
public class CoordinatedSession extends WrappedSession {
  private static final Logger LOG = LoggerFactory.getLogger(CoordinatedSession.class);

  private final Coordinator coordinator;
  private final Duration stopGracePeriod;
  private final RecoveryPolicy recoverable;

  /** A coordinated layer whose root causes are TF 1.x's recoverable errors (ABORTED, UNAVAILABLE). */
  public CoordinatedSession(SessionLayer inner, Coordinator coordinator, Duration stopGracePeriod) {
    this(inner, coordinator, stopGracePeriod, RecoveryPolicy.tf1());
  }

  /**
   * A coordinated layer whose root causes are the errors {@code recoverable} recovers from (the
   * recovery layer above it uses the same policy).
   */
  public CoordinatedSession(
      SessionLayer inner, Coordinator coordinator, Duration stopGracePeriod, RecoveryPolicy recoverable) {
    super(inner);
    this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
    this.stopGracePeriod = Objects.requireNonNull(stopGracePeriod, "stopGracePeriod");
    this.recoverable = Objects.requireNonNull(recoverable, "recoverable");
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
    return withRootCause(() -> super.run(args));
  }

  @Override
  public RunResult runWithoutHooks(SessionRunArgs args) {
    return withRootCause(() -> super.runWithoutHooks(args));
  }

  /** Runs {@code call}; a failure it raises gives way to a recoverable error a thread reported. */
  private <T> T withRootCause(Supplier<T> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      if (recoverable.recovers(e)) {
        throw e;
      }
      Optional<TensorFlowStatusException> reported =
          coordinator.recordedException().flatMap(recoverable::recoverableCause);
      if (reported.isPresent()) {
        reported.get().addSuppressed(e);
        throw reported.get();
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

package dev.tfmon.session;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TInt64;

/**
 * The layer that recreates the session when it is lost: on a recoverable error (ABORTED or
 * UNAVAILABLE by default) raised by a run, by a hook or reported by a background thread, it closes
 * the layers beneath (hooks' {@code end} is not called), creates new ones through the session
 * factory (which restores the latest checkpoint or waits for the chief) and runs the same call
 * again. Any other error propagates.
 *
 * <p>Each recovery is logged at WARN and reported to the {@link RecoveryListener}; the {@link
 * RecoveryPolicy} sets backoff and budget.
 */
public class RecoverableSession extends WrappedSession implements RecoveryLayer {
  private static final Logger LOG = LoggerFactory.getLogger(RecoverableSession.class);
  private static final RunOptions STEP_READ_OPTIONS =
      RunOptions.newBuilder().setTimeoutInMs(10_000).build();

  private final Supplier<? extends SessionLayer> factory;
  private final RecoveryPolicy policy;
  private final RecoveryListener listener;
  private final Coordinator.Sleeper sleeper;
  private final LongSupplier nanoClock;
  private final Output<TInt64> globalStepRead;
  private final Deque<Long> recentRecoveries = new ArrayDeque<>();
  private final Deque<TensorFlowStatusException> causes = new ArrayDeque<>();
  private int attempts;

  /**
   * Creates the first session at once.
   *
   * @param factory creates the layers beneath (a {@link CoordinatedSession} over a {@link
   *     HookedSession} in a monitored session); called again for every recovery
   * @param globalStepRead the graph's global-step read tensor, or null; read to report the step
   *     before and after each recovery
   */
  public RecoverableSession(
      Graph graph,
      Supplier<? extends SessionLayer> factory,
      RecoveryPolicy policy,
      RecoveryListener listener,
      Output<TInt64> globalStepRead,
      Coordinator.Sleeper sleeper,
      LongSupplier nanoClock) {
    super(graph);
    this.factory = factory;
    this.policy = policy;
    this.listener = listener;
    this.globalStepRead = globalStepRead;
    this.sleeper = sleeper;
    this.nanoClock = nanoClock;
    setInner(createSession(null, 0L));
  }

  /** A recoverable session with TF 1.x's policy, no listener and the system clock. */
  public RecoverableSession(Graph graph, Supplier<? extends SessionLayer> factory) {
    this(graph, factory, RecoveryPolicy.tf1(), e -> {}, null,
        Coordinator.Sleeper.system(), System::nanoTime);
  }

  /** How many recoveries happened so far. */
  @Override
  public int recoveries() {
    return attempts;
  }

  @Override
  public RunResult run(SessionRunArgs args) {
    return withRecovery(layer -> layer.run(args));
  }

  /** Runs {@code args} without hooks (the hooked layer passes it by), recovering like {@link #run}. */
  @Override
  public RunResult runWithoutHooks(SessionRunArgs args) {
    return withRecovery(layer -> layer.runWithoutHooks(args));
  }

  /**
   * Runs a step function; if a recoverable error escapes it, recovers and calls it again from the
   * start, with the new raw session. The step's {@code runWithHooks} runs on the layers beneath
   * without recovery of its own: the whole step is what is retried.
   */
  @Override
  public <R> R runStepFn(StepFn<R> stepFn, Function<SessionRunArgs, RunResult> runWithHooks) {
    return withRecovery(layer -> layer.runStepFn(stepFn, runWithHooks));
  }

  /** Calls {@code call} on the current layers, recreating them and calling again on recoverable errors. */
  private <T> T withRecovery(Function<SessionLayer, T> call) {
    while (true) {
      SessionLayer current = ensureSession();
      try {
        return call.apply(current);
      } catch (TensorFlowStatusException e) {
        recoverOrThrow(e, current);
      }
    }
  }

  /**
   * True when the layers beneath ask to stop. A recoverable error reported while asking (by a
   * background thread) recovers and answers false; any other error answers true, and is raised
   * again when the session closes.
   */
  @Override
  public boolean shouldStop() {
    SessionLayer current = inner();
    if (current == null) {
      return true;
    }
    try {
      return current.shouldStop();
    } catch (TensorFlowStatusException e) {
      if (!policy.recovers(e)) {
        return true;
      }
      recoverOrThrow(e, current);
      return false;
    } catch (RuntimeException e) {
      return true;
    }
  }

  /**
   * Closes the layers beneath. An error whose status the policy recovers from (itself or its cause,
   * as a background thread may have reported it wrapped) means they are gone anyway: it is logged
   * and ignored.
   */
  @Override
  public void close() {
    try {
      super.close();
    } catch (RuntimeException e) {
      if (policy.recoverableCause(e).isEmpty()) {
        throw e;
      }
      LOG.warn("the session was lost while closing, ignored: {}", e.getMessage());
    }
  }

  private SessionLayer ensureSession() {
    SessionLayer current = inner();
    if (current == null) {
      current = createSession(null, nanoClock.getAsLong());
      setInner(current);
    }
    return current;
  }

  private void recoverOrThrow(TensorFlowStatusException error, SessionLayer lost) {
    if (!policy.recovers(error)) {
      throw error;
    }
    long start = nanoClock.getAsLong();
    OptionalLong before = readGlobalStep(lost);
    LOG.warn(
        "session lost ({}): {}; closing it and creating a new one (recovery {})",
        error.code(),
        error.firstLine(),
        attempts + 1);
    try {
      close();
    } catch (RuntimeException closing) {
      error.addSuppressed(closing);
      throw error;
    }
    setInner(createSession(error, start));
    attempts++;
    Duration took = Duration.ofNanos(nanoClock.getAsLong() - start);
    OptionalLong after = readGlobalStep(inner());
    LOG.warn(
        "recovered from {} in {} ms (recovery {}), global step {} -> {}",
        error.code(),
        took.toMillis(),
        attempts,
        before.isPresent() ? before.getAsLong() : "unknown",
        after.isPresent() ? after.getAsLong() : "unknown");
    listener.onRecovery(new RecoveryEvent(error, attempts, took, before, after));
  }

  /**
   * Creates the layers beneath, retrying recoverable errors within the policy. {@code cause} is
   * the error being recovered from (null for the first session).
   */
  private SessionLayer createSession(TensorFlowStatusException cause, long since) {
    TensorFlowStatusException last = cause;
    int tries = 0;
    while (true) {
      if (last != null) {
        chargeBudget(last);
        pause(policy.backoffFor(++tries));
      }
      try {
        return factory.get();
      } catch (TensorFlowStatusException e) {
        if (!policy.recovers(e)) {
          throw e;
        }
        LOG.warn("creating a session failed ({}): {}; retrying", e.code(), e.firstLine());
        last = e;
      }
    }
  }

  private void chargeBudget(TensorFlowStatusException error) {
    long now = nanoClock.getAsLong();
    long windowNanos = policy.window().toNanos();
    while (!recentRecoveries.isEmpty() && now - recentRecoveries.peekFirst() > windowNanos) {
      recentRecoveries.removeFirst();
      causes.removeFirst();
    }
    if (recentRecoveries.size() >= policy.maxRecoveries()) {
      for (TensorFlowStatusException earlier : causes) {
        if (earlier != error) {
          error.addSuppressed(earlier);
        }
      }
      LOG.error(
          "giving up: {} recoveries within {} allowed by the recovery policy, last error {}: {}",
          policy.maxRecoveries(),
          policy.window(),
          error.code(),
          error.firstLine());
      throw error;
    }
    recentRecoveries.addLast(now);
    causes.add(error);
  }

  private void pause(Duration backoff) {
    if (backoff.isZero()) {
      return;
    }
    try {
      sleeper.sleep(backoff);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while backing off before a recovery", e);
    }
  }

  private OptionalLong readGlobalStep(SessionLayer layer) {
    if (globalStepRead == null || layer == null) {
      return OptionalLong.empty();
    }
    SessionRunArgs read = SessionRunArgs.builder().fetch(globalStepRead).options(STEP_READ_OPTIONS).build();
    try (RunResult r = layer.runWithoutHooks(read)) {
      return OptionalLong.of(r.getLong(globalStepRead));
    } catch (RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}

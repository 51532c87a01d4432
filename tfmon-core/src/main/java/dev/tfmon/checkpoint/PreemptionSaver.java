package dev.tfmon.checkpoint;

import dev.tfmon.runtime.RunnableSession;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a final checkpoint when the JVM is asked to stop (SIGTERM, as a scheduler preempting a
 * job sends, or {@code System.exit}), within a deadline: a JVM shutdown hook that runs {@link
 * Saver#save} and waits for it at most {@code deadline}. The training loop polls {@link
 * #shutdownRequested()} to stop stepping, and must keep the session open until {@link
 * #awaitFinalCheckpoint(Duration)} returns.
 *
 * <pre>{@code
 * try (PreemptionSaver preemption =
 *     PreemptionSaver.register(saver, session, "/train/model.ckpt", () -> GlobalStep.value(session),
 *         Duration.ofSeconds(20))) {
 *   while (!preemption.shutdownRequested()) {
 *     session.runner().addTarget(train).runTargets();
 *   }
 *   preemption.awaitFinalCheckpoint(Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class PreemptionSaver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PreemptionSaver.class);

  private final Saver saver;
  private final RunnableSession session;
  private final String prefix;
  private final LongSupplier globalStep;
  private final Duration deadline;
  private final Thread hook;
  private final CountDownLatch done = new CountDownLatch(1);
  private final AtomicReference<String> written = new AtomicReference<>();
  private volatile boolean requested;
  private volatile boolean closed;

  private PreemptionSaver(
      Saver saver, RunnableSession session, String prefix, LongSupplier globalStep, Duration deadline) {
    this.saver = saver;
    this.session = session;
    this.prefix = prefix;
    this.globalStep = globalStep;
    this.deadline = deadline;
    this.hook = new Thread(this::onShutdown, "tfmon-preemption-checkpoint");
  }

  /**
   * Registers the shutdown hook.
   *
   * @param globalStep gives the step to name the final checkpoint with
   * @param deadline how long the hook waits for the save before letting the JVM exit
   * @throws IllegalArgumentException if {@code deadline} is not positive
   */
  public static PreemptionSaver register(
      Saver saver, RunnableSession session, String prefix, LongSupplier globalStep, Duration deadline) {
    Objects.requireNonNull(saver, "saver");
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(globalStep, "globalStep");
    if (deadline == null || deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("expected a positive deadline, but got " + deadline);
    }
    PreemptionSaver p = new PreemptionSaver(saver, session, prefix, globalStep, deadline);
    Runtime.getRuntime().addShutdownHook(p.hook);
    return p;
  }

  /** True once the JVM has begun shutting down: stop running steps. */
  public boolean shutdownRequested() {
    return requested;
  }

  /** The final checkpoint's path, once written. */
  public Optional<String> finalCheckpoint() {
    return Optional.ofNullable(written.get());
  }

  /**
   * Waits until the final checkpoint is written (or failed, or timed out); returns at once when
   * no shutdown was requested.
   */
  public boolean awaitFinalCheckpoint(Duration timeout) {
    if (!requested) {
      return false;
    }
    try {
      return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void onShutdown() {
    if (closed) {
      return;
    }
    requested = true;
    Thread save =
        new Thread(
            () -> {
              try {
                long step = globalStep.getAsLong();
                String path = saver.save(session, prefix, step);
                saver.awaitPendingSave();
                written.set(path);
                LOG.info("preemption checkpoint written: {}", path);
              } catch (RuntimeException e) {
                LOG.error("preemption checkpoint failed: {}", e.toString());
              } finally {
                done.countDown();
              }
            },
            "tfmon-preemption-save");
    save.setDaemon(true);
    save.start();
    try {
      if (!done.await(deadline.toNanos(), TimeUnit.NANOSECONDS)) {
        LOG.error(
            "preemption checkpoint not finished within {}; exiting without it (the previous checkpoint stays the latest)",
            deadline);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Unregisters the hook (unless the JVM is already shutting down). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run: nothing to undo
    }
  }
}

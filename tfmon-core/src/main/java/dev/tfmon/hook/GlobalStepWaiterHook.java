package dev.tfmon.hook;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.SessionRunArgs;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Output;
import org.tensorflow.types.TInt64;

/**
 * Delays a worker's first run until the global step reaches a value, polling it every half second
 * (TensorFlow 1.x's {@code GlobalStepWaiterHook}); typically given to workers with an index-based
 * step so they start one after another. A step of zero or less starts at once.
 *
 * <pre>{@code
 * SessionRunHook wait = new GlobalStepWaiterHook(taskIndex * 100L);
 * }</pre>
 */
public final class GlobalStepWaiterHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(GlobalStepWaiterHook.class);

  private final long waitUntilStep;
  private final Duration pollInterval;
  private final Coordinator.Sleeper sleeper;
  private Output<TInt64> stepRead;
  private volatile boolean started;

  public GlobalStepWaiterHook(long waitUntilStep) {
    this(waitUntilStep, Duration.ofMillis(500), Coordinator.Sleeper.system());
  }

  /** With an explicit poll interval and sleeper (tests pass a sleeper that advances a fake clock). */
  public GlobalStepWaiterHook(long waitUntilStep, Duration pollInterval, Coordinator.Sleeper sleeper) {
    if (pollInterval.isNegative()) {
      throw new IllegalArgumentException("expected a non-negative poll interval, but got " + pollInterval);
    }
    this.waitUntilStep = waitUntilStep;
    this.pollInterval = pollInterval;
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
  }

  @Override
  public void begin(BeginContext context) {
    started = false;
    stepRead = HookSupport.stepRead(context.graph(), "GlobalStepWaiterHook");
  }

  /**
   * @throws IllegalStateException if the thread is interrupted while waiting (the interrupt flag
   *     is kept)
   */
  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    if (started) {
      return null;
    }
    if (waitUntilStep <= 0) {
      started = true;
      return null;
    }
    LOG.info("waiting for global step {} before the first step", waitUntilStep);
    long lastLogged = 0;
    while (true) {
      long step = GlobalStep.value(context.session());
      if (step >= waitUntilStep) {
        started = true;
        return null;
      }
      if (step - lastLogged > 1000) {
        LOG.info("still waiting for global step {}, now at step {}", waitUntilStep, step);
        lastLogged = step;
      }
      try {
        sleeper.sleep(pollInterval);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "interrupted while waiting for global step " + waitUntilStep + " (current step " + step + ")", e);
      }
    }
  }
}

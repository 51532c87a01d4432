package dev.tfmon.coord;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A daemon thread that calls a target repeatedly until its {@link Coordinator} is asked to stop, as
 * TensorFlow 1.x's {@code tf.train.LooperThread}: back to back when the interval is null, else at a
 * fixed rate (the first call at once, the next ones at {@code start + k * interval}, skipping
 * nothing when a call overruns). If the target throws, the loop ends and the exception goes to the
 * coordinator, which stops the other threads too.
 *
 * <pre>{@code
 * Thread printer = LooperThread.loop(coord, Duration.ofSeconds(10), () -> log.info("loss {}", loss()));
 * ...
 * coord.requestStop();
 * coord.join();
 * }</pre>
 *
 * <p>Subclasses may override {@link #startLoop()}, {@link #runLoop()} and {@link #stopLoop()}
 * instead of giving a target. The thread registers itself with the coordinator when constructed.
 * Interrupting the thread ends its loop (without stopping the coordinator).
 */
public class LooperThread extends Thread {
  private static final AtomicLong COUNTER = new AtomicLong();

  private final Coordinator coord;
  private final Duration interval;
  private final Runnable target;

  /**
   * A looper, not yet started.
   *
   * @param interval time between the starts of two calls, or null to call back to back
   * @param target what to call, or null when a subclass overrides {@link #runLoop()}
   * @throws IllegalArgumentException if {@code interval} is negative
   */
  public LooperThread(Coordinator coord, Duration interval, Runnable target) {
    super("LooperThread-" + COUNTER.incrementAndGet());
    this.coord = Objects.requireNonNull(coord, "coord");
    if (interval != null && interval.isNegative()) {
      throw new IllegalArgumentException(
          "expected a non-negative looper interval (or null for back to back), but got " + interval);
    }
    this.interval = interval;
    this.target = target;
    setDaemon(true);
    coord.registerThread(this);
  }

  /** Creates, starts and returns a looper calling {@code target}. */
  public static LooperThread loop(Coordinator coord, Duration interval, Runnable target) {
    Objects.requireNonNull(target, "target");
    LooperThread looper = new LooperThread(coord, interval, target);
    looper.start();
    return looper;
  }

  /** The coordinator this looper watches. */
  public final Coordinator coordinator() {
    return coord;
  }

  @Override
  public final void run() {
    coord.stopOnException(
        () -> {
          startLoop();
          if (interval == null) {
            while (!coord.shouldStop() && !isInterrupted()) {
              runLoop();
            }
          } else {
            long step = interval.toNanos();
            long next = System.nanoTime();
            // An interrupt ends the loop: waitForStop would otherwise return at once, every time.
            while (!coord.waitForStop(Duration.ofNanos(next - System.nanoTime()))
                && !isInterrupted()) {
              next += step;
              runLoop();
            }
          }
          stopLoop();
        });
  }

  /** Called once in the thread before the first {@link #runLoop()}. Does nothing by default. */
  protected void startLoop() {}

  /** One iteration: calls the target, if any. */
  protected void runLoop() {
    if (target != null) {
      target.run();
    }
  }

  /** Called once in the thread after the loop ended because of a stop request. */
  protected void stopLoop() {}
}

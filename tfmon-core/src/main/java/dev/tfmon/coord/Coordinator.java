package dev.tfmon.coord;

import dev.tfmon.errors.OutOfRangeException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a group of threads stop together, as TensorFlow 1.x's {@code tf.train.Coordinator} does:
 * any thread can request a stop (optionally reporting the exception that made it stop), every
 * thread polls {@link #shouldStop()}, and the main thread {@link #join}s them, which re-throws the
 * first reported exception.
 *
 * <pre>{@code
 * Coordinator coord = new Coordinator();
 * Thread worker = new Thread(() -> coord.stopOnException(() -> {
 *   while (!coord.shouldStop()) {
 *     doSomeWork();               // an exception here stops every thread and reaches join()
 *   }
 * }));
 * coord.registerThread(worker);
 * worker.start();
 * ...
 * coord.requestStop();
 * coord.join();                   // re-throws the first exception reported by a worker
 * }</pre>
 *
 * <p>Exceptions whose type is one of the clean-stop types ({@link OutOfRangeException} by default,
 * matched with {@code instanceof} as Python's {@code isinstance}) stop the coordinator as if no
 * exception had been reported: the end of the input is a normal way to finish.
 *
 * <p>Thread-safe: all state is guarded by one lock.
 */
public final class Coordinator {
  private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);

  /** Python's default {@code stop_grace_period_secs}. */
  public static final Duration DEFAULT_STOP_GRACE_PERIOD = Duration.ofSeconds(120);

  // Python polls wait_for_stop(1.0) while threads run; a Java thread's death cannot wake a
  // condition, so poll with a short, growing timeout instead: a stop still wakes the wait at once,
  // and a thread that ends is noticed within this bound rather than within a second.
  private static final long MAX_LIVENESS_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long MIN_GRACE_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /**
   * Sleeps between the liveness checks of {@link #join}'s grace period; replaceable so that tests
   * can run the grace loop on a fake clock.
   */
  @FunctionalInterface
  public interface Sleeper {
    /** Sleeps for {@code duration} (or until interrupted). */
    void sleep(Duration duration) throws InterruptedException;

    /** {@link Thread#sleep}. */
    static Sleeper system() {
      return duration -> TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    }
  }

  private final Set<Class<? extends Throwable>> cleanStopExceptionTypes;
  private final Sleeper sleeper;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition stopSignal = lock.newCondition();
  private final Set<Thread> registeredThreads = new LinkedHashSet<>();
  private boolean stopRequested;
  private Throwable recordedException;
  private boolean joined;

  /** A coordinator for which {@link OutOfRangeException} is a clean stop. */
  public Coordinator() {
    this(Set.of(OutOfRangeException.class));
  }

  /**
   * A coordinator with the given clean-stop exception types (possibly none).
   *
   * @throws NullPointerException if the set or one of its elements is null
   */
  public Coordinator(Set<Class<? extends Throwable>> cleanStopExceptionTypes) {
    this(cleanStopExceptionTypes, Sleeper.system());
  }

  /** As {@link #Coordinator(Set)}, with the sleeper used by {@link #join}'s grace period. */
  public Coordinator(Set<Class<? extends Throwable>> cleanStopExceptionTypes, Sleeper sleeper) {
    Objects.requireNonNull(cleanStopExceptionTypes, "cleanStopExceptionTypes");
    for (Class<? extends Throwable> type : cleanStopExceptionTypes) {
      Objects.requireNonNull(type, "cleanStopExceptionTypes must not contain null");
    }
    this.cleanStopExceptionTypes = Set.copyOf(cleanStopExceptionTypes);
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
  }

  /** The exception types that count as a clean stop. */
  public Set<Class<? extends Throwable>> cleanStopExceptionTypes() {
    return cleanStopExceptionTypes;
  }

  /** Requests that the threads stop, without reporting an exception. */
  public void requestStop() {
    requestStop(null);
  }

  /**
   * Requests that the threads stop, reporting {@code ex} (null for none).
   *
   * <p>Only the first request counts: if a stop was already requested, {@code ex} is dropped, even
   * if the first request carried no exception. An exception of a clean-stop type counts as none.
   * If the coordinator was already {@link #join joined}, nobody would see {@code ex} any more, so it
   * is thrown back to the caller at once (unchecked as it is, or wrapped in a {@link
   * ReportedCheckedException}).
   */
  public void requestStop(Throwable ex) {
    Throwable reported = isCleanStop(ex) ? null : ex;
    lock.lock();
    try {
      if (joined && reported != null) {
        throw rethrowable(reported);
      }
      if (!stopRequested) {
        if (reported != null && recordedException == null) {
          recordedException = reported;
          LOG.info("a thread reported an error, stopping every thread: {}", reported.toString());
        }
        stopRequested = true;
        stopSignal.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** True once a stop was requested (and not cleared). */
  public boolean shouldStop() {
    lock.lock();
    try {
      return stopRequested;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a stop is requested or {@code timeout} has passed.
   *
   * <p>If the calling thread is interrupted, the wait ends early with the interrupt flag kept set.
   *
   * @return whether a stop came before the timeout
   */
  public boolean waitForStop(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    long remaining = timeout.isNegative() ? 0 : saturatedNanos(timeout);
    lock.lock();
    try {
      while (!stopRequested && remaining > 0) {
        try {
          remaining = stopSignal.awaitNanos(remaining);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      return stopRequested;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Clears the stop request, the recorded exception and the joined state, so that the coordinator
   * can be used again (for example after recreating a session).
   */
  public void clearStop() {
    lock.lock();
    try {
      stopRequested = false;
      recordedException = null;
      joined = false;
    } finally {
      lock.unlock();
    }
  }

  /** Adds {@code thread} to the threads that {@link #join} waits for. */
  public void registerThread(Thread thread) {
    Objects.requireNonNull(thread, "thread");
    lock.lock();
    try {
      registeredThreads.add(thread);
    } finally {
      lock.unlock();
    }
  }

  /** The registered threads (a snapshot; cleared by {@link #join}). */
  public List<Thread> registeredThreads() {
    lock.lock();
    try {
      return List.copyOf(registeredThreads);
    } finally {
      lock.unlock();
    }
  }

  /** {@link #join(Collection, Duration, boolean)} on the registered threads with the defaults. */
  public void join() {
    join(List.of(), DEFAULT_STOP_GRACE_PERIOD, false);
  }

  /** {@link #join(Collection, Duration, boolean)} with the default grace period, not ignoring. */
  public void join(Collection<Thread> threads) {
    join(threads, DEFAULT_STOP_GRACE_PERIOD, false);
  }

  /**
   * Waits for {@code threads} and the registered threads to end.
   *
   * <p>While no stop is requested, waits for as long as any of them is alive (a thread that never
   * ends and never requests a stop makes this wait forever, as in TensorFlow). Once a stop is
   * requested, gives them {@code stopGracePeriod} to end, checking after sleeps of 1 ms, 2 ms, 4 ms
   * ... each bounded by the remaining grace. Then marks the coordinator joined and forgets the
   * registered threads.
   *
   * <p>If the calling thread is interrupted, the waits end early with the interrupt flag kept set,
   * and the threads still alive are treated as stragglers.
   *
   * @throws RuntimeException the first reported exception, if any (the same object if unchecked,
   *     else a {@link ReportedCheckedException} with it as the cause); it stays recorded
   * @throws IllegalStateException if no exception was reported, some threads are still alive and
   *     {@code ignoreLiveThreads} is false, naming those threads
   */
  public void join(Collection<Thread> threads, Duration stopGracePeriod, boolean ignoreLiveThreads) {
    Objects.requireNonNull(threads, "threads");
    Objects.requireNonNull(stopGracePeriod, "stopGracePeriod");
    if (stopGracePeriod.isNegative()) {
      throw new IllegalArgumentException(
          "expected a non-negative stop grace period, but got " + stopGracePeriod);
    }
    Set<Thread> all = new LinkedHashSet<>();
    lock.lock();
    try {
      all.addAll(registeredThreads);
    } finally {
      lock.unlock();
    }
    for (Thread t : threads) {
      all.add(Objects.requireNonNull(t, "threads must not contain null"));
    }

    long poll = TimeUnit.MILLISECONDS.toNanos(1);
    while (anyAlive(all) && !Thread.currentThread().isInterrupted()) {
      if (waitForStop(Duration.ofNanos(poll))) {
        break;
      }
      poll = Math.min(poll * 2, MAX_LIVENESS_POLL_NANOS);
    }

    // The grace budget is decreased by the requested sleep, as TensorFlow does, so that a fake
    // sleeper sees exactly the same sequence of sleeps.
    long graceLeft = saturatedNanos(stopGracePeriod);
    long sleep = MIN_GRACE_SLEEP_NANOS;
    while (anyAlive(all) && graceLeft >= 0) {
      try {
        sleeper.sleep(Duration.ofNanos(sleep));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      graceLeft -= sleep;
      sleep = Math.max(Math.min(sleep * 2, graceLeft), MIN_GRACE_SLEEP_NANOS);
    }

    List<String> stragglers =
        all.stream().filter(Thread::isAlive).map(Thread::getName).collect(Collectors.toList());
    Throwable toRaise;
    lock.lock();
    try {
      joined = true;
      registeredThreads.clear();
      toRaise = recordedException;
    } finally {
      lock.unlock();
    }
    if (toRaise != null) {
      throw rethrowable(toRaise);
    }
    if (!stragglers.isEmpty()) {
      String names = String.join(", ", stragglers);
      if (ignoreLiveThreads) {
        LOG.info("threads still alive after the stop grace period of {}, left running: {}", stopGracePeriod, names);
      } else {
        throw new IllegalStateException(
            "threads still alive after the stop grace period of " + stopGracePeriod + ": " + names
                + " (they do not check shouldStop(), or are blocked; give them a longer grace period or"
                + " join with ignoreLiveThreads)");
      }
    }
  }

  /** True once {@link #join} has run (until {@link #clearStop()}). */
  public boolean joined() {
    lock.lock();
    try {
      return joined;
    } finally {
      lock.unlock();
    }
  }

  /** The first reported exception, if any: what {@link #join} re-throws. */
  public Optional<Throwable> recordedException() {
    lock.lock();
    try {
      return Optional.ofNullable(recordedException);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Throws the first reported exception, if any (it stays recorded): unchecked as it is, else
   * wrapped in a {@link ReportedCheckedException}.
   */
  public void raiseRequestedException() {
    Throwable toRaise;
    lock.lock();
    try {
      toRaise = recordedException;
    } finally {
      lock.unlock();
    }
    if (toRaise != null) {
      throw rethrowable(toRaise);
    }
  }

  /**
   * Runs {@code body}; if it throws, reports the exception with {@link #requestStop(Throwable)}
   * instead of letting it escape (an exception of a clean-stop type just stops the coordinator).
   * A {@link VirtualMachineError} is reported and then re-thrown, since the JVM cannot be trusted
   * to continue.
   *
   * @return what {@code body} returned, or null if it threw
   */
  public <T> T stopOnException(Callable<T> body) {
    Objects.requireNonNull(body, "body");
    try {
      return body.call();
    } catch (Throwable t) {
      report(t);
      return null;
    }
  }

  /** {@link #stopOnException(Callable)} for a body without result. */
  public void stopOnException(Runnable body) {
    Objects.requireNonNull(body, "body");
    try {
      body.run();
    } catch (Throwable t) {
      report(t);
    }
  }

  /**
   * Starts a daemon {@link LooperThread} registered with this coordinator that calls {@code target}
   * every {@code interval} (null: back to back) until a stop is requested.
   */
  public Thread looper(Duration interval, Runnable target) {
    return LooperThread.loop(this, interval, target);
  }

  private void report(Throwable t) {
    if (t instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    requestStop(t);
    if (t instanceof VirtualMachineError) {
      throw (VirtualMachineError) t;
    }
  }

  private boolean isCleanStop(Throwable ex) {
    if (ex == null) {
      return false;
    }
    for (Class<? extends Throwable> type : cleanStopExceptionTypes) {
      if (type.isInstance(ex)) {
        return true;
      }
    }
    return false;
  }

  private static RuntimeException rethrowable(Throwable t) {
    if (t instanceof RuntimeException) {
      return (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    return new ReportedCheckedException(t);
  }

  private static boolean anyAlive(Collection<Thread> threads) {
    for (Thread t : threads) {
      if (t.isAlive()) {
        return true;
      }
    }
    return false;
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException overflow) {
      return Long.MAX_VALUE;
    }
  }
}

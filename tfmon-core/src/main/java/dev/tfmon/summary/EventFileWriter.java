package dev.tfmon.summary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.Event;

/**
 * Appends {@link Event}s to a TensorBoard event file, as TensorFlow 1.x's {@code EventFileWriter}
 * does: the file is {@code <logDir>/events.out.tfevents.<seconds>.<hostname><suffix>}, its first
 * record is {@code Event{wall_time, file_version = "brain.Event:2"}}, and every record is
 * TFRecord-framed ({@link TfRecords}).
 *
 * <p>{@link #add} puts the event on a bounded queue (the caller blocks while it is full); one daemon
 * thread frames the events in order and keeps the framed records in memory until a flush. A flush
 * happens after a write once the flush interval has passed (the first event is flushed at once),
 * as in TensorFlow, and also when the interval passes while the writer is idle with events pending
 * (TensorFlow waits for the next event, so a process killed after a quiet spell lost them). Every
 * flush writes whole records and fsyncs, so the file on disk ends at a record boundary after each
 * flush, and a {@code kill -9} loses at most the events of the last flush interval. Framed records
 * beyond 64 KiB are written early, still whole. {@link #flush()} waits until everything added
 * before it is written, then flushes and fsyncs.
 *
 * <pre>{@code
 * try (EventFileWriter writer = EventFileWriter.builder(logDir).flushSecs(30).build()) {
 *   writer.add(Event.newBuilder().setWallTime(now).setStep(7).setSummary(summary).build());
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} is idempotent: it drains the queue, flushes and closes the file;
 * events added afterwards are ignored until {@link #reopen()}, which makes the next event open a
 * new file.
 *
 * <p>If the file is removed while open, the next flush finds it gone: the events not yet flushed
 * are lost (a warning says how many), an explicit {@link #flush()} fails with "The events file ...
 * has disappeared.", and the next event opens a new file.
 *
 * <p>Deviation from TensorFlow: when the file name is already taken (two writers on one directory
 * within the same second), TensorFlow truncates the older file; this writer keeps it and appends
 * {@code .1}, {@code .2}, ... to the new name, with a warning.
 */
public final class EventFileWriter implements AutoCloseable {
  /** The {@code file_version} of the first record of every event file. */
  public static final String FILE_VERSION = "brain.Event:2";
  /** The prefix of every event file name. */
  public static final String FILE_PREFIX = "events.out.tfevents.";

  private static final Logger LOG = LoggerFactory.getLogger(EventFileWriter.class);

  private final EventFileThread.Settings settings;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final Object progress = new Object();
  private long processed;
  private boolean closed;
  private EventFileThread worker;

  private EventFileWriter(Builder b) {
    this.settings = new EventFileThread.Settings(
        b.logDir, b.maxQueue, b.flushSecs, b.filenameSuffix,
        b.hostname != null ? b.hostname : Hostnames.local(), b.clock);
    try {
      Files.createDirectories(b.logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the log directory " + b.logDir, e);
    }
    this.worker = startWorker();
  }

  /** A writer on {@code logDir} with TensorFlow's defaults (queue of 10, flush every 120 s). */
  public static EventFileWriter open(Path logDir) {
    return builder(logDir).build();
  }

  /** Starts configuring a writer on {@code logDir} (created, with its parents, if missing). */
  public static Builder builder(Path logDir) {
    return new Builder(logDir);
  }

  /** The directory the event files are written in. */
  public Path logDir() {
    return settings.logDir();
  }

  /** Seconds between the writer thread's flushes (see {@link Builder#flushSecs}). */
  public double flushSecs() {
    return settings.flushSecs();
  }

  /**
   * The file events currently go to; empty before the first event (the file is created lazily,
   * as TensorFlow's native writer does, unless a file name suffix was given) and after close.
   */
  public Optional<Path> currentFile() {
    lifecycle.readLock().lock();
    try {
      return closed ? Optional.empty() : Optional.ofNullable(worker.file());
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** True between {@link #close()} and {@link #reopen()}. */
  public boolean isClosed() {
    lifecycle.readLock().lock();
    try {
      return closed;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Queues {@code event} for writing, blocking while the queue is full. Ignored after {@link
   * #close()}.
   *
   * @throws IllegalStateException if the calling thread is interrupted while waiting for room (the
   *     event is then not written; the interrupt flag stays set)
   */
  public void add(Event event) {
    Objects.requireNonNull(event, "event");
    enqueue(event);
  }

  /**
   * Waits until every event added so far is written, then flushes the file to disk (fsync). A no-op
   * after {@link #close()}.
   *
   * @throws UncheckedIOException if writing the file failed, now or earlier
   */
  public void flush() {
    EventFileThread.Request request = new EventFileThread.Request(false);
    if (enqueue(request)) {
      await(request);
    }
  }

  /**
   * Writes everything queued, flushes and closes the file, and stops the writer thread. Idempotent.
   *
   * @throws UncheckedIOException if writing the file failed (reported once)
   */
  @Override
  public void close() {
    EventFileThread.Request request = new EventFileThread.Request(true);
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      // The writer thread keeps draining the queue, so this put cannot wait forever.
      putUninterruptibly(worker.queue(), request);
    } finally {
      lifecycle.writeLock().unlock();
    }
    await(request);
  }

  /** After {@link #close()}: starts a new writer thread; the next event opens a new file. */
  public void reopen() {
    lifecycle.writeLock().lock();
    try {
      if (!closed) {
        return;
      }
      worker = startWorker();
      closed = false;
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /**
   * Waits until the writer thread has handled {@code count} items in total (events, flushes and
   * closes) since construction; lets tests observe the thread without sleeping.
   */
  boolean awaitProcessed(long count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (progress) {
      while (processed < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(progress, left);
      }
      return true;
    }
  }

  private boolean enqueue(Object item) {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        LOG.debug("event file writer on {} is closed; {} ignored", settings.logDir(), kind(item));
        return false;
      }
      try {
        EventFileThread.spinPut(worker.queue(), item);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "interrupted while waiting for room in the event queue of " + settings.logDir(), e);
      }
      return true;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private static String kind(Object item) {
    return item instanceof Event ? "event" : "flush";
  }

  private void await(EventFileThread.Request request) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          request.done.get();
          return;
        } catch (InterruptedException e) {
          // Finish waiting: returning early would break flush()'s promise.
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof IOException io) {
            throw new UncheckedIOException(io.getMessage(), io);
          }
          throw new IllegalStateException("event writer on " + settings.logDir() + " failed", cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void putUninterruptibly(BlockingQueue<Object> queue, Object item) {
    boolean interrupted = false;
    while (true) {
      try {
        queue.put(item);
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private EventFileThread startWorker() {
    return EventFileThread.start(settings, this::markProcessed);
  }

  private void markProcessed(int count) {
    synchronized (progress) {
      processed += count;
      progress.notifyAll();
    }
  }

  /** {@code flushSecs} if it is a valid flush interval. */
  static double checkFlushSecs(double flushSecs) {
    if (!(flushSecs >= 0) || Double.isInfinite(flushSecs)) {
      throw new IllegalArgumentException("flushSecs must be a finite number >= 0, but got " + flushSecs);
    }
    return flushSecs;
  }

  /** Settings of an {@link EventFileWriter}, checked when set. */
  public static final class Builder {
    private final Path logDir;
    private int maxQueue = 10;
    private double flushSecs = 120;
    private String filenameSuffix = "";
    private Clock clock = Clock.systemUTC();
    private String hostname;

    private Builder(Path logDir) {
      this.logDir = Objects.requireNonNull(logDir, "logDir");
    }

    /** Capacity of the event queue; {@link #add} blocks while it is full. Default 10. */
    public Builder maxQueue(int maxQueue) {
      if (maxQueue < 1) {
        throw new IllegalArgumentException("maxQueue must be at least 1, but got " + maxQueue);
      }
      this.maxQueue = maxQueue;
      return this;
    }

    /**
     * Seconds between the writer thread's flushes: a kill loses at most the events of this
     * interval. Default 120, TensorFlow's; 0 flushes after every event.
     */
    public Builder flushSecs(double flushSecs) {
      this.flushSecs = checkFlushSecs(flushSecs);
      return this;
    }

    /** Same as {@link #flushSecs(double)}. */
    public Builder flushInterval(Duration interval) {
      return flushSecs(interval.toNanos() / 1e9);
    }

    /** Appended to the file name; when non-empty the file is created at construction. */
    public Builder filenameSuffix(String suffix) {
      Objects.requireNonNull(suffix, "suffix");
      if (suffix.indexOf('/') >= 0 || suffix.indexOf('\\') >= 0) {
        throw new IllegalArgumentException(
            "filenameSuffix must not contain a path separator, but got '" + suffix + "'");
      }
      this.filenameSuffix = suffix;
      return this;
    }

    /** The clock for file names, wall times and flush deadlines (tests pass a fake one). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The host name put in file names; default: this machine's. */
    public Builder hostname(String hostname) {
      Objects.requireNonNull(hostname, "hostname");
      if (hostname.isEmpty() || hostname.indexOf('/') >= 0) {
        throw new IllegalArgumentException(
            "hostname must be non-empty without '/', but got '" + hostname + "'");
      }
      this.hostname = hostname;
      return this;
    }

    /**
     * Creates the log directory if missing and starts the writer thread.
     *
     * @throws UncheckedIOException if the directory (or, with a suffix, the file) cannot be created
     */
    public EventFileWriter build() {
      return new EventFileWriter(this);
    }
  }
}

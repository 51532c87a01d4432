package dev.tfmon.summary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
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
  private static final int BUFFER_BYTES = 64 * 1024;

  private final Path logDir;
  private final int maxQueue;
  private final double flushSecs;
  private final String filenameSuffix;
  private final Clock clock;
  private final String hostname;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final Object progress = new Object();
  private long processed;
  private boolean closed;
  private Worker worker;

  private EventFileWriter(Builder b) {
    this.logDir = b.logDir;
    this.maxQueue = b.maxQueue;
    this.flushSecs = b.flushSecs;
    this.filenameSuffix = b.filenameSuffix;
    this.clock = b.clock;
    this.hostname = b.hostname != null ? b.hostname : Hostnames.local();
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the log directory " + logDir, e);
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
    return logDir;
  }

  /** Seconds between the writer thread's flushes (see {@link Builder#flushSecs}). */
  public double flushSecs() {
    return flushSecs;
  }

  /**
   * The file events currently go to; empty before the first event (the file is created lazily,
   * as TensorFlow's native writer does, unless a file name suffix was given) and after close.
   */
  public Optional<Path> currentFile() {
    lifecycle.readLock().lock();
    try {
      return closed ? Optional.empty() : Optional.ofNullable(worker.file);
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
    Control request = new Control(false);
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
    Control request = new Control(true);
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      // The writer thread keeps draining the queue, so this put cannot wait forever.
      putUninterruptibly(worker.queue, request);
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
        LOG.debug("event file writer on {} is closed; {} ignored", logDir, kind(item));
        return false;
      }
      try {
        worker.queue.put(item);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "interrupted while waiting for room in the event queue of " + logDir, e);
      }
      return true;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private static String kind(Object item) {
    return item instanceof Event ? "event" : "flush";
  }

  private void await(Control request) {
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
          throw new IllegalStateException("event writer on " + logDir + " failed", cause);
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

  private Worker startWorker() {
    Worker w = new Worker();
    if (!filenameSuffix.isEmpty()) {
      // TensorFlow opens the file at construction when a suffix is given.
      try {
        w.openFile();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create an event file in " + logDir, e);
      }
    }
    w.thread.start();
    return w;
  }

  private double nowSeconds() {
    Instant now = clock.instant();
    return now.getEpochSecond() + now.getNano() / 1e9;
  }

  private void markProcessed(int count) {
    synchronized (progress) {
      processed += count;
      progress.notifyAll();
    }
  }

  /** A flush or close request, completed by the writer thread. */
  private static final class Control {
    final boolean close;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Control(boolean close) {
      this.close = close;
    }
  }

  /** One writer thread and the file it writes; {@link #reopen()} starts a new one. */
  private final class Worker implements Runnable {
    final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(maxQueue);
    final Thread thread;
    final byte[] header = new byte[TfRecords.HEADER_BYTES];
    final byte[] footer = new byte[TfRecords.FOOTER_BYTES];
    /** Framed records not yet in the file; it only ever holds whole records. */
    final RecordBuffer pending = new RecordBuffer();
    volatile Path file;
    FileChannel channel;
    double nextFlush;
    int unflushed;
    IOException failure;
    boolean failureReported;

    Worker() {
      thread = new Thread(this, "tfmon-event-writer " + logDir);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      List<Object> batch = new ArrayList<>(maxQueue);
      while (true) {
        Object first;
        try {
          first = failure == null && unflushed > 0 && channel != null
              ? queue.poll(nanosToNextFlush(), TimeUnit.NANOSECONDS)
              : queue.take();
        } catch (InterruptedException e) {
          // Only close() ends this thread, so that no queued event is lost.
          continue;
        }
        if (first == null) {
          flushIfDue();
          continue;
        }
        batch.add(first);
        // Taking everything queued at once wakes blocked producers once per batch, not per event.
        queue.drainTo(batch);
        int done = 0;
        try {
          for (Object item : batch) {
            done++;
            if (item instanceof Event event) {
              write(event);
            } else if (finish((Control) item)) {
              // close() is the last item: nothing can be queued behind it.
              return;
            }
          }
        } finally {
          batch.clear();
          markProcessed(done);
        }
      }
    }

    /** How long an idle writer with pending events waits before its timed flush; at least 1 ms. */
    private long nanosToNextFlush() {
      double seconds = nextFlush - nowSeconds();
      return Math.max(TimeUnit.MILLISECONDS.toNanos(1), (long) Math.min(seconds * 1e9, Long.MAX_VALUE / 2));
    }

    private void write(Event event) {
      if (failure != null) {
        return;
      }
      try {
        if (channel == null) {
          openFile();
        }
        frame(event.toByteArray());
        unflushed++;
        if (pending.size() >= BUFFER_BYTES) {
          // Bounded memory: write early, still whole records, without waiting for the interval.
          writePending();
        }
        flushIfDue();
      } catch (IOException | RuntimeException e) {
        fail(e instanceof IOException io ? io : new IOException(e.getMessage(), e));
      }
    }

    /** Flushes when the interval has passed since the last flush (TensorFlow's rule, plus idle). */
    private void flushIfDue() {
      double now = nowSeconds();
      if (failure != null || channel == null || now < nextFlush) {
        return;
      }
      try {
        if (unflushed > 0 && stillThere()) {
          flushToDisk();
        }
      } catch (IOException e) {
        fail(e);
      }
      nextFlush = now + flushSecs;
    }

    /** Handles a flush or close request; true when the thread should stop. */
    private boolean finish(Control control) {
      IOException disappeared = null;
      try {
        if (failure == null && channel != null) {
          Path written = file;
          if (unflushed > 0 && !stillThere()) {
            disappeared = new IOException("The events file " + written + " has disappeared.");
          } else {
            flushToDisk();
          }
        }
      } catch (IOException e) {
        fail(e);
      }
      if (control.close) {
        closeFile();
      }
      if (failure != null && !failureReported) {
        failureReported = true;
        control.done.completeExceptionally(failure);
      } else if (disappeared != null) {
        control.done.completeExceptionally(disappeared);
      } else {
        control.done.complete(null);
      }
      return control.close;
    }

    /** Writes every pending record and fsyncs, as TensorFlow's flush does. */
    private void flushToDisk() throws IOException {
      writePending();
      channel.force(false);
      unflushed = 0;
    }

    private void writePending() throws IOException {
      ByteBuffer bytes = pending.asByteBuffer();
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      pending.clear();
    }

    /**
     * EV-3: whether the file is still at its path. If it was removed, the events not yet flushed are
     * lost and the next event opens a new file. TensorFlow checks before every write; this checks
     * at flush points only, which keeps a stat call out of the per-event path.
     */
    private boolean stillThere() {
      if (Files.exists(file)) {
        return true;
      }
      LOG.warn(
          "The events file {} has disappeared; {} events not yet flushed are lost and the next"
              + " event opens a new file",
          file,
          unflushed);
      closeFile();
      return false;
    }

    void openFile() throws IOException {
      double now = nowSeconds();
      long seconds = (long) Math.floor(now);
      String base =
          String.format(Locale.ROOT, "%s%010d.%s%s", FILE_PREFIX, seconds, hostname, filenameSuffix);
      Path path = logDir.resolve(base);
      FileChannel opened = null;
      for (int attempt = 1; opened == null; attempt++) {
        try {
          opened = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
          Path next = logDir.resolve(base + "." + attempt);
          LOG.warn("event file {} already exists; writing {} instead", path, next);
          path = next;
        }
      }
      channel = opened;
      file = path;
      Event version =
          Event.newBuilder().setWallTime((double) seconds).setFileVersion(FILE_VERSION).build();
      frame(version.toByteArray());
      // EV-2: the first record is flushed at once, before any event.
      flushToDisk();
    }

    private void frame(byte[] data) {
      TfRecords.writeHeader(data.length, header);
      TfRecords.putIntLe(footer, 0, TfRecords.maskedCrc32c(data, 0, data.length));
      pending.append(header);
      pending.append(data);
      pending.append(footer);
    }

    private void fail(IOException e) {
      if (failure == null) {
        failure = new IOException("writing event file " + file + " failed: " + e.getMessage(), e);
        LOG.error("event file writer on {}: {}; later events are dropped", logDir, e.toString());
      }
    }

    private void closeFile() {
      pending.clear();
      unflushed = 0;
      if (channel == null) {
        return;
      }
      try {
        channel.close();
      } catch (IOException e) {
        fail(e);
      }
      channel = null;
      file = null;
    }
  }

  /** A growable byte array of framed records, handed to the file channel in one write. */
  private static final class RecordBuffer {
    private byte[] bytes = new byte[BUFFER_BYTES];
    private int size;

    void append(byte[] b) {
      if (size + b.length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + b.length));
      }
      System.arraycopy(b, 0, bytes, size, b.length);
      size += b.length;
    }

    int size() {
      return size;
    }

    ByteBuffer asByteBuffer() {
      return ByteBuffer.wrap(bytes, 0, size);
    }

    void clear() {
      size = 0;
      if (bytes.length > 4 * BUFFER_BYTES) {
        // One huge graph event should not pin its size for the life of the writer.
        bytes = new byte[BUFFER_BYTES];
      }
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

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.Event;

/**
 * The writer thread of an {@link EventFileWriter} and the file it writes: it takes events and
 * {@link Request}s from its queue in order, frames the events into an in-memory buffer of whole
 * records, and decides when the buffer goes to disk (past 64 KiB, and at a flush: after a write or
 * while idle once the flush interval has passed, and at each request). Only {@link EventFileWriter}
 * talks to it; {@link EventFileWriter#reopen()} starts a new one.
 */
final class EventFileThread implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(EventFileWriter.class);
  private static final int BUFFER_BYTES = 64 * 1024;
  /** How long either side of the queue spins before it parks: a few batches' worth of work. */
  static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

  /** What the writer thread needs of its {@link EventFileWriter}'s settings. */
  record Settings(
      Path logDir, int maxQueue, double flushSecs, String filenameSuffix, String hostname, Clock clock) {}

  /** A flush or close request, completed by the writer thread. */
  static final class Request {
    final boolean close;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Request(boolean close) {
      this.close = close;
    }
  }

  private final Settings settings;
  private final IntConsumer onProcessed;
  private final BlockingQueue<Object> queue;
  private final Thread thread;
  private final byte[] header = new byte[TfRecords.HEADER_BYTES];
  private final byte[] footer = new byte[TfRecords.FOOTER_BYTES];
  /** Framed records not yet in the file; it only ever holds whole records. */
  private final RecordBuffer pending = new RecordBuffer();
  private volatile Path file;
  private FileChannel channel;
  private double nextFlush;
  private int unflushed;
  private IOException failure;
  private boolean failureReported;

  private EventFileThread(Settings settings, IntConsumer onProcessed) {
    this.settings = settings;
    this.onProcessed = onProcessed;
    this.queue = new ArrayBlockingQueue<>(settings.maxQueue());
    this.thread = new Thread(this, "tfmon-event-writer " + settings.logDir());
    thread.setDaemon(true);
  }

  /**
   * Starts a writer thread; {@code onProcessed} hears how many queued items (events and requests)
   * each batch handled.
   *
   * @throws UncheckedIOException if a file name suffix is set and the file cannot be created
   */
  static EventFileThread start(Settings settings, IntConsumer onProcessed) {
    EventFileThread t = new EventFileThread(settings, onProcessed);
    if (!settings.filenameSuffix().isEmpty()) {
      // TensorFlow opens the file at construction when a suffix is given.
      try {
        t.openFile();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create an event file in " + settings.logDir(), e);
      }
    }
    t.thread.start();
    return t;
  }

  /** The queue of events and {@link Request}s this thread drains. */
  BlockingQueue<Object> queue() {
    return queue;
  }

  /** The file being written, or null before the first event and after close. */
  Path file() {
    return file;
  }

  @Override
  public void run() {
    List<Object> batch = new ArrayList<>(settings.maxQueue());
    while (true) {
      Object first = spinPoll(queue);
      try {
        if (first == null) {
          first = failure == null && unflushed > 0 && channel != null
              ? queue.poll(nanosToNextFlush(), TimeUnit.NANOSECONDS)
              : queue.take();
        }
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
          } else if (finish((Request) item)) {
            // close() is the last item: nothing can be queued behind it.
            return;
          }
        }
      } finally {
        batch.clear();
        onProcessed.accept(done);
      }
    }
  }

  /**
   * Waits up to {@link #SPIN_NANOS} for an item without parking. Parking and being woken costs tens
   * of microseconds on an idle virtual machine (the vCPU halts), once per batch on both sides of
   * the queue; a producer adding a burst of events refills a drained queue well within the spin.
   * Null when nothing came.
   */
  static <T> T spinPoll(BlockingQueue<T> queue) {
    T item = queue.poll();
    if (item != null) {
      return item;
    }
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (System.nanoTime() < deadline) {
      Thread.onSpinWait();
      item = queue.poll();
      if (item != null) {
        return item;
      }
    }
    return null;
  }

  /** Adds {@code item}, spinning up to {@link #SPIN_NANOS} for room before blocking in {@code put}. */
  static <T> void spinPut(BlockingQueue<T> queue, T item) throws InterruptedException {
    if (queue.offer(item)) {
      return;
    }
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (System.nanoTime() < deadline) {
      Thread.onSpinWait();
      if (queue.offer(item)) {
        return;
      }
    }
    queue.put(item);
  }

  private double nowSeconds() {
    Instant now = settings.clock().instant();
    return now.getEpochSecond() + now.getNano() / 1e9;
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
    nextFlush = now + settings.flushSecs();
  }

  /** Handles a flush or close request; true when the thread should stop. */
  private boolean finish(Request request) {
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
    if (request.close) {
      closeFile();
    }
    if (failure != null && !failureReported) {
      failureReported = true;
      request.done.completeExceptionally(failure);
    } else if (disappeared != null) {
      request.done.completeExceptionally(disappeared);
    } else {
      request.done.complete(null);
    }
    return request.close;
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

  private void openFile() throws IOException {
    double now = nowSeconds();
    long seconds = (long) Math.floor(now);
    String base = String.format(
        Locale.ROOT, "%s%010d.%s%s", EventFileWriter.FILE_PREFIX, seconds, settings.hostname(),
        settings.filenameSuffix());
    Path logDir = settings.logDir();
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
    Event version = Event.newBuilder()
        .setWallTime((double) seconds)
        .setFileVersion(EventFileWriter.FILE_VERSION)
        .build();
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
      LOG.error("event file writer on {}: {}; later events are dropped", settings.logDir(), e.toString());
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
}

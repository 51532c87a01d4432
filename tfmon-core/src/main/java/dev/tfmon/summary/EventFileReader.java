package dev.tfmon.summary;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfmon.errors.DataLossException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.stream.Stream;
import org.tensorflow.proto.Event;

/**
 * Reads the events of one TensorBoard event file, verifying both CRCs of every TFRecord.
 *
 * <p>A record whose bytes are all present but whose length CRC, data CRC or protobuf is wrong is a
 * {@link DataLossException} naming the file and the record's byte offset. A record cut short by
 * the end of the file (a writer still appending, or a crash mid-write) ends the iteration cleanly:
 * {@link #tornTail()} then says so.
 *
 * <pre>{@code
 * try (EventFileReader reader = EventFileReader.open(file)) {
 *   for (Event event : reader) {
 *     System.out.println(event.getStep() + " " + event.getWhatCase());
 *   }
 * }
 * List<Event> all = EventFileReader.readDirectory(logDir);   // every events file, by name
 * }</pre>
 *
 * <p>Not thread-safe; single pass.
 */
public final class EventFileReader implements Iterable<Event>, AutoCloseable {
  private final Path file;
  private final InputStream in;
  private final byte[] header = new byte[TfRecords.HEADER_BYTES];
  private final byte[] footer = new byte[TfRecords.FOOTER_BYTES];
  private long offset;
  private boolean tornTail;
  private boolean ended;
  private Event lookahead;
  private boolean iterated;

  private EventFileReader(Path file, InputStream in) {
    this.file = file;
    this.in = in;
  }

  /**
   * Opens {@code file} for reading.
   *
   * @throws UncheckedIOException if it cannot be opened
   */
  public static EventFileReader open(Path file) {
    Objects.requireNonNull(file, "file");
    try {
      return new EventFileReader(file, new BufferedInputStream(Files.newInputStream(file), 1 << 16));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open event file " + file, e);
    }
  }

  /** Every event of {@code file}, in order (stopping cleanly before a torn last record). */
  public static List<Event> readAll(Path file) {
    try (EventFileReader reader = open(file)) {
      List<Event> events = new ArrayList<>();
      reader.forEach(events::add);
      return events;
    }
  }

  /**
   * The event files of {@code dir} ({@code events.out.tfevents.*}, not recursive), sorted by name,
   * which orders files of one writer host by creation time, as TensorBoard reads them.
   */
  public static List<Path> eventFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("not a directory: " + dir);
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .filter(p -> p.getFileName().toString().startsWith(EventFileWriter.FILE_PREFIX))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** The events of every event file of {@code dir}, file after file in {@link #eventFiles} order. */
  public static List<Event> readDirectory(Path dir) {
    List<Event> events = new ArrayList<>();
    for (Path file : eventFiles(dir)) {
      events.addAll(readAll(file));
    }
    return events;
  }

  /** The file being read. */
  public Path file() {
    return file;
  }

  /** Byte offset of the next record to read. */
  public long offset() {
    return offset;
  }

  /** True once the iteration stopped at an incomplete last record. */
  public boolean tornTail() {
    return tornTail;
  }

  /**
   * True if there is another complete record.
   *
   * @throws DataLossException if the next record is corrupt
   */
  public boolean hasNext() {
    if (lookahead == null && !ended) {
      lookahead = readRecord();
      ended = lookahead == null;
    }
    return lookahead != null;
  }

  /**
   * The next event.
   *
   * @throws NoSuchElementException at the end of the file
   * @throws DataLossException if the record is corrupt
   */
  public Event next() {
    if (!hasNext()) {
      throw new NoSuchElementException("no more events in " + file + " (offset " + offset + ")");
    }
    Event event = lookahead;
    lookahead = null;
    return event;
  }

  /** This reader as a single-use iterator. */
  @Override
  public Iterator<Event> iterator() {
    if (iterated) {
      throw new IllegalStateException("an EventFileReader can be iterated once; reopen " + file);
    }
    iterated = true;
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return EventFileReader.this.hasNext();
      }

      @Override
      public Event next() {
        return EventFileReader.this.next();
      }
    };
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file, e);
    }
  }

  private Event readRecord() {
    long start = offset;
    int got = readFully(header, header.length);
    if (got == 0) {
      return null;
    }
    if (got < header.length) {
      return torn();
    }
    long length = TfRecords.getLongLe(header, 0);
    int storedLengthCrc = TfRecords.getIntLe(header, 8);
    int lengthCrc = TfRecords.maskedCrc32c(header, 0, 8);
    if (storedLengthCrc != lengthCrc) {
      throw corrupt(start, "length CRC", storedLengthCrc, lengthCrc);
    }
    if (length > Integer.MAX_VALUE - 8) {
      throw new DataLossException(
          "record at byte offset " + start + " of " + file + " claims " + length + " bytes");
    }
    byte[] data = new byte[(int) length];
    if (readFully(data, data.length) < data.length
        || readFully(footer, footer.length) < footer.length) {
      return torn();
    }
    int storedDataCrc = TfRecords.getIntLe(footer, 0);
    int dataCrc = TfRecords.maskedCrc32c(data, 0, data.length);
    if (storedDataCrc != dataCrc) {
      throw corrupt(start, "data CRC", storedDataCrc, dataCrc);
    }
    try {
      return Event.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      throw new DataLossException(
          "record at byte offset " + start + " of " + file + " is not an Event: " + e.getMessage(),
          e);
    }
  }

  private Event torn() {
    tornTail = true;
    return null;
  }

  private DataLossException corrupt(long at, String what, int stored, int computed) {
    return new DataLossException(
        String.format(
            "corrupted record at byte offset %d of %s: %s mismatch (stored 0x%08x, computed 0x%08x)",
            at, file, what, stored, computed));
  }

  /** Reads up to {@code n} bytes, fewer only at the end of the file; advances {@link #offset}. */
  private int readFully(byte[] buf, int n) {
    int total = 0;
    try {
      while (total < n) {
        int r = in.read(buf, total, n - total);
        if (r < 0) {
          break;
        }
        total += r;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " at byte offset " + offset, e);
    }
    offset += total;
    return total;
  }
}

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
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.Event;

/**
 * Reads the events of one TensorBoard event file, verifying both CRCs of every TFRecord.
 *
 * <p>Reading stops at the first record that cannot be read whole, and keeps every event before it,
 * as TensorBoard's event loader does with TensorFlow's record reader (which reports both cases as
 * DATA_LOSS): a record cut short by the end of the file (a writer killed mid-write, or still
 * appending) or a corrupt record (a length CRC, data CRC or protobuf that does not check). {@link
 * #unreadTail()} then says where, why, and how many bytes were left unread; {@link
 * #checkComplete()} turns that into a {@link DataLossException} for callers that want all or nothing.
 *
 * <pre>{@code
 * try (EventFileReader reader = EventFileReader.open(file)) {
 *   for (Event event : reader) {
 *     System.out.println(event.getStep() + " " + event.getWhatCase());
 *   }
 *   reader.unreadTail().ifPresent(tail -> System.err.println(file + ": " + tail.describe()));
 * }
 * List<Event> all = EventFileReader.readDirectory(logDir);   // every events file, by name
 * }</pre>
 *
 * <p>Not thread-safe; single pass.
 */
public final class EventFileReader implements Iterable<Event>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventFileReader.class);

  private final Path file;
  private final InputStream in;
  private final byte[] header = new byte[TfRecords.HEADER_BYTES];
  private final byte[] footer = new byte[TfRecords.FOOTER_BYTES];
  private long offset;
  private UnreadTail unreadTail;
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

  /**
   * Every event of {@code file} that can be read, in order; a damaged or cut-off tail is logged as a
   * warning and left out (see {@link #unreadTail()}).
   */
  public static List<Event> readAll(Path file) {
    try (EventFileReader reader = open(file)) {
      List<Event> events = new ArrayList<>();
      reader.forEach(events::add);
      reader.unreadTail().ifPresent(tail -> LOG.warn("event file {}: {}", file, tail.describe()));
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

  /** True once the iteration stopped at a record cut short by the end of the file. */
  public boolean tornTail() {
    return unreadTail != null && unreadTail.truncated();
  }

  /**
   * Where and why the iteration stopped before the end of the file; empty while reading and when
   * every byte of the file was read.
   */
  public Optional<UnreadTail> unreadTail() {
    return Optional.ofNullable(unreadTail);
  }

  /**
   * Throws if the iteration stopped before the end of the file.
   *
   * @throws DataLossException naming the file, the byte offset and the reason
   */
  public void checkComplete() {
    if (unreadTail != null) {
      throw new DataLossException(file + ": " + unreadTail.describe());
    }
  }

  /** True if there is another complete record. */
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
   * @throws NoSuchElementException at the end of the file or of its readable part
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
      return stop(start, true, "a record cut short in its header, " + got + " of 12 bytes present");
    }
    long length = TfRecords.getLongLe(header, 0);
    int storedLengthCrc = TfRecords.getIntLe(header, 8);
    int lengthCrc = TfRecords.maskedCrc32c(header, 0, 8);
    if (storedLengthCrc != lengthCrc) {
      return stop(start, false, mismatch("length CRC", storedLengthCrc, lengthCrc));
    }
    if (length > Integer.MAX_VALUE - 8) {
      return stop(start, false, "a record that claims " + length + " bytes");
    }
    byte[] data = new byte[(int) length];
    int dataRead = readFully(data, data.length);
    int footerRead = dataRead < data.length ? 0 : readFully(footer, footer.length);
    if (dataRead < data.length || footerRead < footer.length) {
      long present = TfRecords.HEADER_BYTES + dataRead + footerRead;
      long whole = TfRecords.HEADER_BYTES + length + TfRecords.FOOTER_BYTES;
      return stop(start, true, "a record cut short, " + present + " of " + whole + " bytes present");
    }
    int storedDataCrc = TfRecords.getIntLe(footer, 0);
    int dataCrc = TfRecords.maskedCrc32c(data, 0, data.length);
    if (storedDataCrc != dataCrc) {
      return stop(start, false, mismatch("data CRC", storedDataCrc, dataCrc));
    }
    try {
      return Event.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      return stop(start, false, "a record that is not an Event: " + e.getMessage());
    }
  }

  /** Ends the iteration at the record starting at {@code at}; nothing after it is read. */
  private Event stop(long at, boolean truncated, String reason) {
    long size;
    try {
      size = Math.max(Files.size(file), offset);
    } catch (IOException e) {
      size = offset;
    }
    unreadTail = new UnreadTail(at, size - at, truncated, reason);
    return null;
  }

  private static String mismatch(String what, int stored, int computed) {
    return String.format("a corrupt record, %s mismatch: stored 0x%08x, computed 0x%08x", what, stored, computed);
  }

  /**
   * The part of an event file that was not read: from the byte offset of the first record that
   * could not be read whole to the end of the file.
   *
   * @param offset byte offset of the record where reading stopped
   * @param bytes how many bytes from there to the end of the file were ignored
   * @param truncated true if that record is cut short by the end of the file (a writer killed
   *     mid-write, or still writing); false if it is corrupt
   * @param reason what is wrong with the record, e.g. "a record cut short, 40 of 106 bytes present"
   */
  public record UnreadTail(long offset, long bytes, boolean truncated, String reason) {
    /** One line, e.g. "ignored the last 40 bytes, from byte offset 1000: a record cut short, ...". */
    public String describe() {
      return "ignored the last " + bytes + " byte" + (bytes == 1 ? "" : "s") + ", from byte offset " + offset
          + ": " + reason;
    }
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

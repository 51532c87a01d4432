package dev.tfmon.bench;

import com.google.protobuf.ByteString;
import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.EventFileWriter;
import dev.tfmon.summary.TfRecords;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;
import org.tensorflow.proto.TensorProto;

/**
 * Throughput of {@link EventFileWriter} (queue + writer thread + framing + CRC32C) against writing
 * the same records from the calling thread into a {@link BufferedOutputStream}, two ways: "raw"
 * (records framed beforehand, only the bytes are written) and "inline" (serialize, frame and write
 * in the caller). Every run ends with an fsync, as {@code close()} does. Prints a Markdown table of
 * medians.
 *
 * <pre>
 * mvn -B -o -q install -DskipTests -pl tfmon-core,tfmon-bench -am
 * java -cp "tfmon-bench/target/classes:$(cat /tmp/bench.cp)" dev.tfmon.bench.EventWriterBench [events] [rounds]
 * </pre>
 */
public final class EventWriterBench {
  private EventWriterBench() {}

  public static void main(String[] args) throws IOException {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    Path root = Files.createTempDirectory("tfmon-event-bench");
    try {
      System.out.printf(Locale.ROOT, "events per run: %d, rounds: %d (+2 warm-up), JVM %s, %d cpus%n%n",
          events, rounds, Runtime.version(), Runtime.getRuntime().availableProcessors());
      System.out.println("| payload | variant | events/s | MB/s | time vs raw | time vs inline |");
      System.out.println("|---|---|---:|---:|---:|---:|");
      run(root, "scalar", scalarEvents(events), rounds);
      run(root, "4 KiB tensor", tensorEvents(events / 10, 4096), rounds);
    } finally {
      deleteTree(root);
    }
  }

  private static void run(Path root, String payload, List<Event> events, int rounds)
      throws IOException {
    List<byte[]> framed = new ArrayList<>(events.size());
    long bytes = 0;
    for (Event e : events) {
      byte[] record = TfRecords.frame(e.toByteArray());
      framed.add(record);
      bytes += record.length;
    }
    String[] names = {"raw BufferedOutputStream", "inline serialize+frame", "EventFileWriter (queue 10)",
        "EventFileWriter (queue 1024)"};
    long[][] nanos = new long[names.length][rounds];
    int counter = 0;
    for (int round = -2; round < rounds; round++) {
      // Rotate the order so no variant always runs on a warmer page cache.
      for (int k = 0; k < names.length; k++) {
        int v = (k + Math.max(round, 0)) % names.length;
        Path dir = root.resolve("run" + counter++);
        Files.createDirectories(dir);
        long t = switch (v) {
          case 0 -> raw(dir, framed);
          case 1 -> inline(dir, events);
          case 2 -> writer(dir, events, 10);
          default -> writer(dir, events, 1024);
        };
        if (v >= 2) {
          checkWritten(dir, events.size());
        }
        deleteTree(dir);
        if (round >= 0) {
          nanos[v][round] = t;
        }
      }
    }
    double raw = median(nanos[0]);
    double inline = median(nanos[1]);
    for (int v = 0; v < names.length; v++) {
      double secs = median(nanos[v]) / 1e9;
      System.out.printf(Locale.ROOT, "| %s | %s | %,.0f | %.1f | %.2f× | %.2f× |%n", payload, names[v],
          events.size() / secs, bytes / secs / 1e6, median(nanos[v]) / raw, median(nanos[v]) / inline);
    }
  }

  private static long raw(Path dir, List<byte[]> framed) throws IOException {
    long start = System.nanoTime();
    try (FileChannel ch = open(dir);
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 64 * 1024)) {
      for (byte[] r : framed) {
        out.write(r);
      }
      out.flush();
      ch.force(false);
    }
    return System.nanoTime() - start;
  }

  private static long inline(Path dir, List<Event> events) throws IOException {
    long start = System.nanoTime();
    try (FileChannel ch = open(dir);
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 64 * 1024)) {
      for (Event e : events) {
        out.write(TfRecords.frame(e.toByteArray()));
      }
      out.flush();
      ch.force(false);
    }
    return System.nanoTime() - start;
  }

  private static long writer(Path dir, List<Event> events, int queue) {
    long start = System.nanoTime();
    try (EventFileWriter w = EventFileWriter.builder(dir).maxQueue(queue).build()) {
      for (Event e : events) {
        w.add(e);
      }
    }
    return System.nanoTime() - start;
  }

  private static void checkWritten(Path dir, int expected) {
    int got = EventFileReader.readDirectory(dir).size();
    if (got != expected + 1) {
      throw new IllegalStateException("expected " + (expected + 1) + " events in " + dir + ", read " + got);
    }
  }

  private static FileChannel open(Path dir) throws IOException {
    return FileChannel.open(dir.resolve("events.out.tfevents.raw"), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
  }

  private static List<Event> scalarEvents(int n) {
    List<Event> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(Event.newBuilder().setWallTime(1.7e9 + i * 1e-3).setStep(i)
          .setSummary(Summary.newBuilder().addValue(
              Summary.Value.newBuilder().setTag("loss").setSimpleValue(1f / (i + 1))))
          .build());
    }
    return out;
  }

  private static List<Event> tensorEvents(int n, int bytes) {
    byte[] content = new byte[bytes];
    Arrays.fill(content, (byte) 7);
    TensorProto tensor = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorContent(ByteString.copyFrom(content)).build();
    List<Event> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(Event.newBuilder().setWallTime(1.7e9 + i).setStep(i)
          .setSummary(Summary.newBuilder().addValue(
              Summary.Value.newBuilder().setTag("weights").setTensor(tensor)))
          .build());
    }
    return out;
  }

  private static double median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int m = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2.0;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

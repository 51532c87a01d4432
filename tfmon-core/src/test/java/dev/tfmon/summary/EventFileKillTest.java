package dev.tfmon.summary;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.testing.Await;
import dev.tfmon.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;

/**
 * Issue 11 item 1: a training process killed with SIGKILL keeps, in its event file, every summary
 * written before the writer's last flush; the file ends at a record boundary.
 */
@Tag("multiprocess")
class EventFileKillTest {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  private static final int SUMMARY_STEPS = 10;

  @TempDir Path dir;

  private ChildJvm train(long lastStep) {
    return ChildJvm.start("summary-trainer", SummaryTrainingChildMain.class, List.of("-Xmx256m"),
        dir.toString(), "1", Integer.toString(SUMMARY_STEPS), Long.toString(lastStep));
  }

  /** The one event file's readable part, once it satisfies {@code ready} (polled until the deadline). */
  private byte[] awaitOnDisk(ChildJvm child, Predicate<List<ScalarPoint>> ready) {
    return Await.until("the training child's event file", DEADLINE, () -> readablePart(ready), bytes -> bytes != null);
  }

  /** The readable part of the one event file if it satisfies {@code ready}, else null. */
  private byte[] readablePart(Predicate<List<ScalarPoint>> ready) {
    try {
      List<Path> files = EventFileReader.eventFiles(dir);
      if (files.size() != 1) {
        return null;
      }
      byte[] bytes = Files.readAllBytes(files.get(0));
      Path copy = dir.resolveSibling(dir.getFileName() + "-snapshot");
      Files.write(copy, bytes);
      try (EventFileReader reader = EventFileReader.open(copy)) {
        List<Event> events = new java.util.ArrayList<>();
        reader.forEach(events::add);
        return ready.test(ScalarSeries.of(events)) ? Arrays.copyOf(bytes, (int) reader.offset()) : null;
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }


  private static List<ScalarPoint> doubled(List<ScalarPoint> points) {
    return points.stream().filter(p -> p.tag().equals("doubled")).toList();
  }

  /** Reads the killed run's file back: whole records only, and the summaries in an unbroken series. */
  private List<ScalarPoint> readAfterKill(byte[] flushed) throws IOException {
    Path file = EventFileReader.eventFiles(dir).get(0);
    byte[] now = Files.readAllBytes(file);
    assertThat(Arrays.copyOf(now, flushed.length))
        .as("the file only grew, by appending, after the flush seen")
        .isEqualTo(flushed);
    try (EventFileReader reader = EventFileReader.open(file)) {
      reader.forEach(e -> {});
      assertThat(reader.unreadTail()).as("the killed writer's file ends at a record boundary").isEmpty();
    }
    Map<String, List<ScalarPoint>> series = ScalarSeries.readDirectory(dir);
    List<ScalarPoint> points = series.get("doubled");
    assertThat(series).containsKey("global_step/sec");
    // Summaries come every SUMMARY_STEPS steps or one sooner (the hook reads the global step in the
    // same run that increments it): a gap beyond that would be a lost summary.
    for (int i = 0; i < points.size(); i++) {
      ScalarPoint p = points.get(i);
      if (i > 0) {
        assertThat(p.step() - points.get(i - 1).step()).as("gap before point %d", i).isBetween(1L, (long) SUMMARY_STEPS);
      }
      assertThat(p.value()).as("point %d", i).isEqualTo(2.0 * p.step());
    }
    return points;
  }

  @Test
  void killedMidTrainingKeepsEverySummaryOfTheLastFlush() throws IOException {
    byte[] flushed;
    int pointsFlushed;
    try (ChildJvm child = train(0)) {
      child.awaitLine("started", DEADLINE);
      flushed = awaitOnDisk(child, points -> doubled(points).size() >= 20);
      child.kill();
    }
    try (EventFileReader reader = EventFileReader.open(writeTemp(flushed))) {
      List<Event> events = new java.util.ArrayList<>();
      reader.forEach(events::add);
      pointsFlushed = doubled(ScalarSeries.of(events)).size();
    }
    List<ScalarPoint> points = readAfterKill(flushed);
    assertThat(points.size()).isGreaterThanOrEqualTo(pointsFlushed).isGreaterThanOrEqualTo(20);
  }

  @Test
  void anIdleWritersLastSummariesReachTheDiskWithinTheInterval() throws IOException {
    long idleAt;
    byte[] flushed;
    try (ChildJvm child = train(205)) {
      idleAt = Long.parseLong(child.awaitLine("idle ", DEADLINE).substring(5));
      // Nothing runs any more: only the writer's own timer can put the last summary on disk.
      flushed = awaitOnDisk(child, points -> doubled(points).stream().anyMatch(p -> p.step() > idleAt - SUMMARY_STEPS));
      child.kill();
    }
    List<ScalarPoint> points = readAfterKill(flushed);
    assertThat(points.get(points.size() - 1).step()).isBetween(idleAt - SUMMARY_STEPS + 1, idleAt);
  }

  private Path writeTemp(byte[] bytes) throws IOException {
    return Files.write(dir.resolveSibling(dir.getFileName() + "-flushed"), bytes);
  }
}

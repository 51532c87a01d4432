package dev.tfmon.summary;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;

/**
 * What a TensorBoard run holds, read the way TensorBoard reads it: every tag with its kind, the
 * scalar series, and where the run was resumed.
 *
 * <p>As TensorBoard does (its {@code purge_orphaned_data}), a {@code SessionLog START} at step S
 * drops the points of steps S and above written before it: they belong to an attempt that was
 * killed after its last checkpoint, and the resumed attempt writes those steps again. {@link
 * #purgedPoints()} counts them. Each START after the first is a {@link Restart}; in a run written
 * without STARTs (TF2's writers), each event file after the first is one.
 *
 * <p>A file that cannot be read whole keeps the events before the damage ({@link
 * EventFileReader}); an unreadable file is skipped. Neither stops the run: {@link #problems()}
 * says what was left out, one line each, naming the file.
 *
 * <pre>{@code
 * RunContents run = RunContents.read(EventRun.find(logDir).get(0));
 * run.tags().forEach((tag, info) -> System.out.println(tag + " " + info.kindLabel()));
 * List<ScalarPoint> loss = run.scalars().get("loss");
 * run.problems().forEach(System.err::println);
 * }</pre>
 *
 * @param run the run read
 * @param files what was read from each event file, in reading order
 * @param tags every tag of the run, sorted
 * @param scalars the points of every scalar tag, sorted by tag, each in file order
 * @param restarts where the run was resumed, in file order
 * @param purgedPoints points dropped as orphans of a killed attempt (see above)
 * @param problems one line for each file or value left out, naming it
 */
public record RunContents(
    EventRun run,
    List<FileRead> files,
    Map<String, TagInfo> tags,
    Map<String, List<ScalarPoint>> scalars,
    List<Restart> restarts,
    int purgedPoints,
    List<String> problems) {

  public RunContents {
    files = List.copyOf(files);
    tags = Collections.unmodifiableMap(new TreeMap<>(tags));
    Map<String, List<ScalarPoint>> copy = new TreeMap<>();
    scalars.forEach((tag, points) -> copy.put(tag, List.copyOf(points)));
    scalars = Collections.unmodifiableMap(copy);
    restarts = List.copyOf(restarts);
    problems = List.copyOf(problems);
  }

  /**
   * What was read from one event file.
   *
   * @param file the event file
   * @param events how many events were read
   * @param unreadTail the part left unread, if the file is damaged or cut off
   * @param failure why the file could not be read at all (it was skipped), if so
   */
  public record FileRead(
      Path file, int events, Optional<EventFileReader.UnreadTail> unreadTail, Optional<String> failure) {}

  /**
   * A tag and what it holds.
   *
   * @param tag the summary tag
   * @param kind what its values are (from its first value)
   * @param plugin the plugin named in its metadata, or empty (TF1 summaries have none)
   * @param points how many values it has
   * @param firstStep the lowest step of its values
   * @param lastStep the highest step of its values
   */
  public record TagInfo(String tag, TagKind kind, String plugin, int points, long firstStep, long lastStep) {
    /** The kind, with the plugin of a {@link TagKind#TENSOR}: "scalar", "tensor (pr_curves)". */
    public String kindLabel() {
      return kind == TagKind.TENSOR && !plugin.isEmpty() ? kind.label() + " (" + plugin + ")" : kind.label();
    }
  }

  /**
   * Where a run was resumed.
   *
   * @param step the global step the new attempt started at
   * @param wallTime when, in seconds since the epoch
   * @param file the event file it is in
   */
  public record Restart(long step, double wallTime, Path file) {}

  /** Reads every event file of {@code run}; never fails on a damaged or unreadable file. */
  public static RunContents read(EventRun run) {
    return new Reader(run).read();
  }

  /** One value of a tag, kept until the end so that a restart can purge it. */
  private record TagPoint(long step, double wallTime, double value) {}

  /** The state of one pass over a run's files. */
  private static final class Reader {
    final EventRun run;
    final List<FileRead> files = new ArrayList<>();
    final TagKinds kinds = new TagKinds();
    final Map<String, List<TagPoint>> pointsByTag = new LinkedHashMap<>();
    final List<Restart> restarts = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    final List<Restart> newFiles = new ArrayList<>();
    int purged;
    int starts;

    Reader(EventRun run) {
      this.run = run;
    }

    RunContents read() {
      for (Path file : run.files()) {
        readFile(file);
      }
      if (starts == 0) {
        restarts.addAll(newFiles);
      }
      Map<String, TagInfo> tags = new TreeMap<>();
      Map<String, List<ScalarPoint>> scalars = new TreeMap<>();
      pointsByTag.forEach((tag, points) -> {
        if (points.isEmpty()) {
          return;
        }
        TagKind kind = kinds.kind(tag);
        long first = points.stream().mapToLong(TagPoint::step).min().orElseThrow();
        long last = points.stream().mapToLong(TagPoint::step).max().orElseThrow();
        tags.put(tag, new TagInfo(tag, kind, kinds.plugin(tag), points.size(), first, last));
        if (kind == TagKind.SCALAR) {
          scalars.put(tag, points.stream().map(p -> new ScalarPoint(tag, p.step(), p.wallTime(), p.value())).toList());
        }
      });
      return new RunContents(run, files, tags, scalars, restarts, purged, problems);
    }

    private void readFile(Path file) {
      int count = 0;
      boolean firstSummary = true;
      try (EventFileReader reader = EventFileReader.open(file)) {
        while (reader.hasNext()) {
          Event event = reader.next();
          count++;
          if (event.hasSessionLog() && event.getSessionLog().getStatus() == SessionLog.SessionStatus.START) {
            start(event, file);
          } else if (event.hasSummary()) {
            if (firstSummary && !files.isEmpty()) {
              newFiles.add(new Restart(event.getStep(), event.getWallTime(), file));
            }
            firstSummary = false;
            summary(event, file);
          } else if (event.hasTaggedRunMetadata()) {
            String tag = event.getTaggedRunMetadata().getTag();
            kinds.settle(tag, TagKind.RUN_METADATA);
            add(tag, new TagPoint(event.getStep(), event.getWallTime(), Double.NaN));
          }
        }
        Optional<EventFileReader.UnreadTail> tail = reader.unreadTail();
        tail.ifPresent(t -> problems.add(describeTail(file, t)));
        files.add(new FileRead(file, count, tail, Optional.empty()));
      } catch (UncheckedIOException e) {
        Throwable cause = e.getCause();
        String why = cause instanceof java.nio.file.AccessDeniedException ? "permission denied"
            : cause == null || cause.getMessage() == null ? e.getMessage() : cause.getMessage();
        problems.add("skipped " + file + ": cannot read it (" + why + ")");
        files.add(new FileRead(file, count, Optional.empty(), Optional.of(why)));
      }
    }

    private static String describeTail(Path file, EventFileReader.UnreadTail tail) {
      return tail.offset() == 0
          ? "skipped " + file + ": not an event file (" + tail.reason() + ")"
          : file + ": " + tail.describe();
    }

    private void start(Event event, Path file) {
      starts++;
      if (starts > 1) {
        restarts.add(new Restart(event.getStep(), event.getWallTime(), file));
      }
      long step = event.getStep();
      for (List<TagPoint> points : pointsByTag.values()) {
        int before = points.size();
        points.removeIf(p -> p.step() >= step);
        purged += before - points.size();
      }
    }

    private void summary(Event event, Path file) {
      for (Summary.Value value : event.getSummary().getValueList()) {
        TagKind kind = kinds.kindOf(value);
        double number = Double.NaN;
        if (kind == TagKind.SCALAR) {
          try {
            number = ScalarSeries.valueOf(value, event.getStep());
          } catch (IllegalArgumentException e) {
            problems.add(file + ": skipped a value: " + e.getMessage());
            continue;
          }
        }
        add(value.getTag(), new TagPoint(event.getStep(), event.getWallTime(), number));
      }
    }

    private void add(String tag, TagPoint point) {
      pointsByTag.computeIfAbsent(tag, t -> new ArrayList<>()).add(point);
    }
  }
}

package dev.tfmon.cli;

import dev.tfmon.summary.EventRun;
import dev.tfmon.summary.RunContents;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The runs named on the command line of {@code events} and {@code plot}, read: each argument is an
 * event file or a directory of runs (as TensorBoard's logdir: itself and every subdirectory that
 * holds event files). Damaged and unreadable files are skipped with a warning on stderr, never
 * failing the command.
 *
 * <p>Run names: with one argument, a run's path relative to it (the argument's own run takes the
 * argument's directory name); with several, relative to their common parent.
 */
final class EventRuns {
  /** A run and the name shown for it. */
  record Named(String name, RunContents contents) {}

  private EventRuns() {}

  /**
   * Finds and reads the runs of {@code paths}, printing a warning line to {@code err} for each
   * file or directory left out.
   *
   * @throws CliException exit 2 if a path does not exist or cannot be read, exit 1 if no argument
   *     holds an event file
   */
  static List<Named> load(List<Path> paths, PrintWriter err) {
    List<EventRun> found = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Set<List<Path>> seen = new HashSet<>();
    for (Path path : paths) {
      for (EventRun run : find(path, problems)) {
        // Overlapping arguments (runs and runs/a) name some runs twice: read each once.
        if (seen.add(run.files().stream().map(f -> f.toAbsolutePath().normalize()).toList())) {
          found.add(run);
        }
      }
    }
    problems.forEach(p -> warn(err, p));
    if (found.isEmpty()) {
      String where = paths.stream().map(Path::toString).collect(Collectors.joining(", "));
      throw CliException.failure("no event files (events.out.tfevents.*) in " + where + " or its subdirectories");
    }
    Map<EventRun, String> names = names(paths, found);
    List<Named> runs = new ArrayList<>();
    for (EventRun run : found) {
      String name = names.get(run);
      RunContents contents = RunContents.read(run);
      contents.problems().forEach(p -> warn(err, p));
      if (contents.purgedPoints() > 0) {
        err.printf("tfmon: note: run %s: left out %d point%s that a resumed attempt wrote again (as TensorBoard does)%n",
            name, contents.purgedPoints(), contents.purgedPoints() == 1 ? "" : "s");
      }
      runs.add(new Named(name, contents));
    }
    err.flush();
    return runs;
  }

  private static List<EventRun> find(Path path, List<String> problems) {
    if (!Files.exists(path)) {
      throw CliException.usage("event directory " + path + ": no such file or directory");
    }
    try {
      if (Files.isDirectory(path)) {
        InputPaths.readableDirectory("event directory", path);
        return EventRun.find(path, problems::add);
      }
      InputPaths.readableFile("event file", path);
      return List.of(EventRun.ofFile(path));
    } catch (UncheckedIOException e) {
      throw CliException.failure("cannot list " + path + ": " + e.getCause().getMessage(), e);
    }
  }

  private static void warn(PrintWriter err, String problem) {
    err.println("tfmon: warning: " + problem);
  }

  /** Names per the class comment; a name taken twice gets " (2)", " (3)", ... */
  private static Map<EventRun, String> names(List<Path> paths, List<EventRun> runs) {
    Path base = paths.size() == 1 ? directoryOf(paths.get(0)) : commonParent(paths);
    Map<EventRun, String> names = new LinkedHashMap<>();
    Set<String> taken = new HashSet<>();
    for (EventRun run : runs) {
      String name;
      Path dir = run.directory().toAbsolutePath().normalize();
      if (paths.size() == 1 && Files.isRegularFile(paths.get(0))) {
        name = run.name();
      } else if (dir.equals(base)) {
        name = dir.getFileName() == null ? "." : dir.getFileName().toString();
      } else {
        name = base.relativize(dir).toString().replace(dir.getFileSystem().getSeparator(), "/");
      }
      String unique = name;
      for (int n = 2; !taken.add(unique); n++) {
        unique = name + " (" + n + ")";
      }
      names.put(run, unique);
    }
    return names;
  }

  private static Path directoryOf(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    return Files.isDirectory(absolute) ? absolute : absolute.getParent();
  }

  private static Path commonParent(List<Path> paths) {
    Path common = null;
    for (Path path : paths) {
      Path dir = directoryOf(path);
      if (common == null) {
        common = dir.getParent() == null ? dir : dir.getParent();
      }
      while (!dir.startsWith(common)) {
        common = common.getParent();
      }
    }
    return common;
  }

  /**
   * The scalar tags to show: {@code requested} in its order, or every scalar tag of the runs
   * (sorted) when none is requested.
   *
   * @throws CliException exit 2 for a requested tag that no run has as a scalar, saying what it is
   *     if it is another kind of tag; exit 1 if the runs hold no scalar and none was requested
   */
  static List<String> scalarTags(List<Named> runs, List<String> requested, String what) {
    if (requested == null || requested.isEmpty()) {
      List<String> all = runs.stream().flatMap(r -> r.contents().scalars().keySet().stream()).distinct().sorted().toList();
      if (all.isEmpty()) {
        throw CliException.failure("no scalar summaries in " + describe(runs) + ": nothing to " + what
            + (runs.stream().allMatch(r -> r.contents().tags().isEmpty()) ? "" : "; tags: " + tagList(runs)));
      }
      return all;
    }
    for (String tag : requested) {
      if (runs.stream().anyMatch(r -> r.contents().scalars().containsKey(tag))) {
        continue;
      }
      List<String> kinds = new ArrayList<>();
      for (Named run : runs) {
        RunContents.TagInfo info = run.contents().tags().get(tag);
        if (info != null) {
          kinds.add(String.format("%s (%d point%s, %s)%s", info.kindLabel(), info.points(), info.points() == 1 ? "" : "s",
              steps(info.firstStep(), info.lastStep()), runs.size() > 1 ? " in run " + run.name() : ""));
        }
      }
      if (kinds.isEmpty()) {
        throw CliException.usage("--tag '" + tag + "': no such tag in " + describe(runs) + "; tags: " + tagList(runs));
      }
      throw CliException.usage("--tag '" + tag + "' is a tag of kind " + String.join(", ", kinds)
          + ", not a scalar: tfmon " + what + " takes scalar tags only");
    }
    return List.copyOf(requested);
  }

  /** "step 7" or "steps 1..2401". */
  static String steps(long first, long last) {
    return first == last ? "step " + first : "steps " + first + ".." + last;
  }

  private static String describe(List<Named> runs) {
    return runs.size() == 1 ? runs.get(0).contents().run().directory().toString() : runs.size() + " runs";
  }

  private static String tagList(List<Named> runs) {
    Map<String, String> kinds = new java.util.TreeMap<>();
    runs.forEach(r -> r.contents().tags().forEach((tag, info) -> kinds.putIfAbsent(tag, info.kindLabel())));
    return kinds.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining(", "));
  }
}

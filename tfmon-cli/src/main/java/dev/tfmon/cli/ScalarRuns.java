package dev.tfmon.cli;

import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.ScalarSeries;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Loads the scalar series of an event file or of every event file in a directory, for the CLI. */
final class ScalarRuns {
  private ScalarRuns() {}

  /**
   * The series by tag (sorted), from {@code path} (a directory or one event file).
   *
   * @throws CliException exit 2 if the path does not exist, exit 1 if it holds no event file or a
   *     file cannot be read
   */
  static Map<String, List<ScalarPoint>> load(Path path) {
    if (!Files.exists(path)) {
      throw CliException.usage("event directory " + path + ": no such file or directory");
    }
    try {
      if (Files.isDirectory(path)) {
        InputPaths.readableDirectory("event directory", path);
        List<Path> files = EventFileReader.eventFiles(path);
        if (files.isEmpty()) {
          throw CliException.failure(
              "no event files (events.out.tfevents.*) in " + path);
        }
        return ScalarSeries.byTag(EventFileReader.readDirectory(path));
      }
      InputPaths.readableFile("event file", path);
      return ScalarSeries.byTag(EventFileReader.readAll(path));
    } catch (UncheckedIOException e) {
      throw CliException.failure(e.getMessage() + ": " + e.getCause().getMessage(), e);
    } catch (TensorFlowStatusException | IllegalArgumentException e) {
      throw CliException.failure("cannot read events in " + path + ": " + e.getMessage(), e);
    }
  }

  /** Only the series of {@code tags}, in the given order; an unknown tag is a usage error. */
  static Map<String, List<ScalarPoint>> select(
      Map<String, List<ScalarPoint>> all, List<String> tags, Path path) {
    if (tags == null || tags.isEmpty()) {
      return all;
    }
    Map<String, List<ScalarPoint>> out = new LinkedHashMap<>();
    for (String tag : tags) {
      List<ScalarPoint> series = all.get(tag);
      if (series == null) {
        throw CliException.usage(
            "--tag '" + tag + "' has no scalars in " + path + "; tags: " + all.keySet());
      }
      out.put(tag, series);
    }
    return out;
  }
}

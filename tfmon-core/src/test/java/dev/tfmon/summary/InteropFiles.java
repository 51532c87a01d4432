package dev.tfmon.summary;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Finds the shared interop files written by Python TensorFlow (see shared/interop/README.md). */
final class InteropFiles {
  private InteropFiles() {}

  /**
   * {@code shared/interop} in the nearest ancestor of the working directory that has one (the repo
   * is {@code /work/<worktree>} beside {@code /work/shared}; in CI {@code shared} is beside the clone).
   */
  static Path interop() {
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("interop");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "no shared/interop directory in " + start + " or any of its parents; the interop files"
            + " written by Python TensorFlow must be checked out beside the repository");
  }

  /** The one events file of {@code interop/<folder>}. */
  static Path singleEventFile(String folder) {
    Path dir = interop().resolve(folder);
    List<Path> files = EventFileReader.eventFiles(dir);
    if (files.size() != 1) {
      throw new IllegalStateException("expected one event file in " + dir + ", found " + files);
    }
    return files.get(0);
  }
}

package dev.tfmon.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The files written by Python TensorFlow: {@code shared/interop} in the nearest ancestor of the working directory. */
final class InteropDir {
  private InteropDir() {}

  static Path get() {
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = start; p != null; p = p.getParent()) {
      Path candidate = p.resolve("shared").resolve("interop");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "no shared/interop directory in " + start + " or any of its parents; the interop files written by Python"
            + " TensorFlow are expected there (see shared/interop/README.md)");
  }

  /** Copies {@code name} (a folder of interop) into {@code target}, so a test may write next to the files. */
  static Path copy(String name, Path target) throws java.io.IOException {
    Path source = get().resolve(name);
    Files.createDirectories(target);
    try (var files = Files.list(source)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, target.resolve(f.getFileName()));
      }
    }
    return target;
  }
}

package dev.tfmon.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Checks of paths given on the command line, failing with a usage error that names the path. */
final class InputPaths {
  private InputPaths() {}

  /** {@code path} if it is an existing, readable file. */
  static Path readableFile(String option, Path path) {
    if (!Files.exists(path)) {
      throw CliException.usage(option + " " + path + ": no such file");
    }
    if (Files.isDirectory(path)) {
      throw CliException.usage(option + " " + path + ": is a directory, expected a file");
    }
    if (!Files.isReadable(path)) {
      throw CliException.usage(option + " " + path + ": not readable (permission denied)");
    }
    return path;
  }

  /** {@code path} if it is an existing, readable directory. */
  static Path readableDirectory(String what, Path path) {
    if (!Files.exists(path)) {
      throw CliException.usage(what + " " + path + ": no such directory");
    }
    if (!Files.isDirectory(path)) {
      throw CliException.usage(what + " " + path + ": not a directory");
    }
    if (!Files.isReadable(path)) {
      throw CliException.usage(what + " " + path + ": not readable (permission denied)");
    }
    return path;
  }

  /** The most recently modified file of {@code dir} matching {@code glob} (e.g. {@code "*.meta"}). */
  static Optional<Path> newestFile(Path dir, String glob) {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, glob)) {
      files.forEach(found::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return found.stream().max(Comparator.comparingLong(InputPaths::mtime));
  }

  private static long mtime(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}

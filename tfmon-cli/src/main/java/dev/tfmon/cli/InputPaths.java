package dev.tfmon.cli;

import java.nio.file.Files;
import java.nio.file.Path;

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
}

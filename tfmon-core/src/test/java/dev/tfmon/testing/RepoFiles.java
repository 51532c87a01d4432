package dev.tfmon.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files of the repository (README.md, docs/...) found from a test's working directory, the module
 * directory under Maven: the nearest ancestor that holds the path.
 *
 * <pre>{@code
 * Path doc = RepoFiles.find("docs/ARCHITECTURE.md");
 * }</pre>
 */
public final class RepoFiles {
  private RepoFiles() {}

  /**
   * {@code relative} in the nearest ancestor of the working directory that has it as a file.
   *
   * @throws IllegalStateException naming the path and the start directory if none has it
   */
  public static Path find(String relative) {
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(relative);
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no " + relative + " in " + start + " or any of its parents");
  }
}

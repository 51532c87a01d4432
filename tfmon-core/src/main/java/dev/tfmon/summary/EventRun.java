package dev.tfmon.summary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run of a TensorBoard log directory: a directory that holds event files, named by its path
 * relative to the log directory ({@code "."} for the log directory itself). As in TensorBoard, a
 * log directory is a set of runs: itself if it holds event files, and every subdirectory that does,
 * at any depth; so a model directory and its {@code eval/} subdirectory are two runs.
 *
 * <pre>{@code
 * for (EventRun run : EventRun.find(Path.of("runs"))) {       // runs/a, runs/b, runs/b/eval ...
 *   System.out.println(run.name() + ": " + run.files().size() + " event files");
 * }
 * }</pre>
 *
 * @param name the directory relative to the log directory, with '/' separators; "." for itself
 * @param directory the run's directory
 * @param files its event files, sorted by name ({@link EventFileReader#eventFiles})
 */
public record EventRun(String name, Path directory, List<Path> files) {
  private static final Logger LOG = LoggerFactory.getLogger(EventRun.class);

  public EventRun {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(directory, "directory");
    files = List.copyOf(files);
  }

  /** The run of a single event file, named after the file. */
  public static EventRun ofFile(Path file) {
    Path parent = file.toAbsolutePath().getParent();
    return new EventRun(file.getFileName().toString(), parent, List.of(file));
  }

  /** {@link #find(Path, Consumer)}, logging a warning for each directory that cannot be listed. */
  public static List<EventRun> find(Path logDir) {
    return find(logDir, problem -> LOG.warn("{}", problem));
  }

  /**
   * The runs under {@code logDir}, sorted by name. Symbolic links are followed (a link back up the
   * tree is reported, not followed twice).
   *
   * @param onProblem told one line for each subdirectory that cannot be listed (it is skipped)
   * @throws IllegalArgumentException if {@code logDir} is not a directory
   * @throws UncheckedIOException if {@code logDir} itself cannot be listed
   */
  public static List<EventRun> find(Path logDir, Consumer<String> onProblem) {
    if (!Files.isDirectory(logDir)) {
      throw new IllegalArgumentException("not a directory: " + logDir);
    }
    List<EventRun> runs = new ArrayList<>();
    try {
      Files.walkFileTree(logDir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              List<Path> files;
              try {
                files = EventFileReader.eventFiles(dir);
              } catch (UncheckedIOException e) {
                if (dir.equals(logDir)) {
                  throw e;
                }
                onProblem.accept("skipped directory " + dir + ": cannot list it (" + reason(e.getCause()) + ")");
                return FileVisitResult.SKIP_SUBTREE;
              }
              if (!files.isEmpty()) {
                runs.add(new EventRun(nameOf(logDir, dir), dir, files));
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              if (Files.isDirectory(file) || e instanceof java.nio.file.FileSystemLoopException) {
                onProblem.accept("skipped directory " + file + ": " + reason(e));
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + logDir, e);
    }
    runs.sort(Comparator.comparing(EventRun::name));
    return runs;
  }

  private static String nameOf(Path logDir, Path dir) {
    Path relative = logDir.relativize(dir);
    String name = relative.toString().replace(dir.getFileSystem().getSeparator(), "/");
    return name.isEmpty() ? "." : name;
  }

  private static String reason(Throwable e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemLoopException) {
      return "a symbolic link back to a directory above it";
    }
    return e == null ? "unknown error" : e.getMessage();
  }
}

package dev.tfmon.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of versioned SavedModels, {@code <base>/<version>/}, as TensorFlow Serving watches
 * it: it loads the sub-directories whose names are integers and ignores the rest. An export is
 * written into {@code <base>/temp-<version>-<n>/} and renamed to {@code <base>/<version>/} in one
 * atomic step once complete, so a watcher never sees a partial model; only the newest {@link
 * #keep} exports stay, and old ones are first renamed away (again in one step) and then deleted,
 * so a watcher never sees a half-deleted one either.
 *
 * <pre>{@code
 * ExportDirectory exports = ExportDirectory.of(Path.of("/models/spirals")).keep(3);
 * exporter.export(session, exports);            // -> /models/spirals/<global step>/
 * Optional<Path> newest = exports.newest();
 * }</pre>
 *
 * <p>Immutable. One process at a time should write into a base directory: starting an export
 * removes the temporary directories that killed exports left behind.
 *
 * @see SavedModelExporter
 */
public final class ExportDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(ExportDirectory.class);
  /** The prefix of an export being written (not an integer, so serving systems skip it). */
  public static final String TEMP_PREFIX = "temp-";
  /** The prefix an old export is renamed to before keep-N deletes it (a kill may leave one). */
  public static final String DELETING_PREFIX = "deleting-";
  /** The file whose presence marks a SavedModel. */
  public static final String SAVED_MODEL_FILE = "saved_model.pb";

  private final Path base;
  private final int keep;

  private ExportDirectory(Path base, int keep) {
    this.base = base;
    this.keep = keep;
  }

  /** Exports under {@code base}, keeping every one. */
  public static ExportDirectory of(Path base) {
    return new ExportDirectory(Objects.requireNonNull(base, "base"), 0);
  }

  /**
   * The same directory keeping only the {@code n} newest exports (0 keeps all).
   *
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public ExportDirectory keep(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("expected keep >= 0 (0 keeps every export), but got " + n);
    }
    return new ExportDirectory(base, n);
  }

  /** The base directory. */
  public Path base() {
    return base;
  }

  /** How many exports are kept (0: all). */
  public int keep() {
    return keep;
  }

  /** The directory of {@code version}: {@code <base>/<version>}. */
  public Path versionPath(long version) {
    return base.resolve(Long.toString(version));
  }

  /**
   * The versions of the complete exports ({@code <base>/<integer>/saved_model.pb}), oldest first;
   * empty if the base directory does not exist.
   */
  public List<Long> versions() {
    List<Long> out = new ArrayList<>();
    if (!Files.isDirectory(base)) {
      return out;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(base)) {
      for (Path child : children) {
        Long v = versionOf(child);
        if (v != null && Files.isRegularFile(child.resolve(SAVED_MODEL_FILE))) {
          out.add(v);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list export directory " + base + ": " + e.getMessage(), e);
    }
    out.sort(null);
    return out;
  }

  /** The newest complete export, if any. */
  public Optional<Path> newest() {
    List<Long> v = versions();
    return v.isEmpty() ? Optional.empty() : Optional.of(versionPath(v.get(v.size() - 1)));
  }

  /**
   * A version number from the clock (seconds since the epoch, as Estimator's exports), above every
   * existing version.
   */
  public long timestampVersion(Clock clock) {
    long now = clock.millis() / 1000;
    List<Long> v = versions();
    return v.isEmpty() ? now : Math.max(now, v.get(v.size() - 1) + 1);
  }

  /**
   * Creates an empty temporary directory for writing {@code version}, after checking that the
   * export can be published and removing what killed exports left behind.
   *
   * @throws IllegalArgumentException if {@code <base>/<version>} exists and is not empty, the
   *     base is not a directory, or it cannot be written
   */
  Path createTemp(long version) {
    if (version < 0) {
      throw new IllegalArgumentException("expected a version >= 0, but got " + version);
    }
    Path target = versionPath(version);
    if (Files.exists(target) && !isEmptyDirectory(target)) {
      throw new IllegalArgumentException(
          "export directory " + target + " already exists and is not empty; an export never replaces another "
              + "(remove it, or export at another global step)");
    }
    try {
      Files.createDirectories(base);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot create export base directory " + base + ": " + describe(e), e);
    }
    removeLeftovers();
    Path temp = base.resolve(TEMP_PREFIX + version + "-" + Long.toHexString(System.nanoTime()));
    try {
      return Files.createDirectory(temp);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write into export base directory " + base + ": " + describe(e), e);
    }
  }

  /**
   * Makes the files of {@code temp} durable, renames it to {@code <base>/<version>} in one step,
   * then deletes the exports beyond {@link #keep}.
   *
   * @return the published directory and the versions deleted
   */
  Published publish(Path temp, long version) {
    Path target = versionPath(version);
    try {
      syncTree(temp);
      if (Files.isDirectory(target) && isEmptyDirectory(target)) {
        Files.delete(target);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IllegalStateException(
            "the file system of " + base + " cannot rename directories atomically; exports need it", e);
      }
      syncDirectory(base);
    } catch (DirectoryNotEmptyException e) {
      throw new IllegalArgumentException(
          "export directory " + target + " appeared while the export was written; nothing was replaced", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish export " + target + ": " + describe(e), e);
    }
    return new Published(target, applyRetention());
  }

  /** A published export and the versions that retention deleted after it. */
  record Published(Path directory, List<Long> deleted) {}

  /** Deletes a temporary directory (a failed or refused export); never throws. */
  void discard(Path temp) {
    try {
      deleteTree(temp);
    } catch (IOException e) {
      LOG.warn("could not delete the unfinished export {}: {}", temp, describe(e));
    }
  }

  /**
   * Deletes the oldest complete exports beyond {@link #keep}, each renamed away first so that it
   * disappears whole. Directories that are not complete exports are never touched.
   *
   * @return the deleted versions, oldest first
   */
  public List<Long> applyRetention() {
    List<Long> deleted = new ArrayList<>();
    if (keep == 0) {
      return deleted;
    }
    List<Long> versions = versions();
    for (int i = 0; i + keep < versions.size(); i++) {
      long v = versions.get(i);
      Path doomed = base.resolve(DELETING_PREFIX + v + "-" + Long.toHexString(System.nanoTime()));
      try {
        Files.move(versionPath(v), doomed, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(doomed);
        deleted.add(v);
        LOG.info("deleted export {} (keeping the {} newest)", versionPath(v), keep);
      } catch (IOException e) {
        LOG.warn("could not delete old export {}: {}", versionPath(v), describe(e));
      }
    }
    return deleted;
  }

  private void removeLeftovers() {
    try (DirectoryStream<Path> children = Files.newDirectoryStream(base)) {
      for (Path child : children) {
        String name = child.getFileName().toString();
        if (Files.isDirectory(child) && (name.startsWith(TEMP_PREFIX) || name.startsWith(DELETING_PREFIX))) {
          LOG.info("removing {}, left by an interrupted export", child);
          deleteTree(child);
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot clean up {}: {}", base, describe(e));
    }
  }

  /** The version a directory's name gives, or null if it is not a non-negative integer. */
  static Long versionOf(Path dir) {
    String name = dir.getFileName().toString();
    if (name.isEmpty() || name.length() > 18 || !name.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Long.parseLong(name);
  }

  private static boolean isEmptyDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (Files.exists(root)) {
      walkBottomUp(root, Files::deleteIfExists, Files::deleteIfExists);
    }
  }

  /** Forces every file and directory under {@code root} to disk, so a rename never publishes holes. */
  private static void syncTree(Path root) throws IOException {
    walkBottomUp(
        root,
        file -> {
          try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            c.force(true);
          }
        },
        ExportDirectory::syncDirectory);
  }

  private interface PathAction {
    void apply(Path path) throws IOException;
  }

  /** Applies {@code onFile} to every file and {@code onDirectory} to every directory after its content. */
  private static void walkBottomUp(Path root, PathAction onFile, PathAction onDirectory) throws IOException {
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        onFile.apply(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        onDirectory.apply(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException e) {
      // some file systems cannot open a directory for syncing; the rename is still atomic
      LOG.debug("cannot sync directory {}: {}", dir, e.toString());
    }
  }

  private static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory: " + e.getMessage();
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied: " + e.getMessage();
    }
    if (e instanceof java.nio.file.FileSystemException && ((java.nio.file.FileSystemException) e).getReason() != null) {
      return ((java.nio.file.FileSystemException) e).getReason() + ": " + ((java.nio.file.FileSystemException) e).getFile();
    }
    return e.toString();
  }

  @Override
  public String toString() {
    return base + (keep == 0 ? "" : " (keeping " + keep + ")");
  }
}

package dev.tfmon.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * An existing directory in which this process cannot create anything, whoever runs the tests and
 * with no special capability (no {@code chattr +i}, which needs CAP_LINUX_IMMUTABLE and a file
 * system with the attribute): first a directory under the test's scratch directory with
 * permissions {@code r-x}, which stops any user but root; for root, whom permissions do not stop,
 * sysfs ({@code /sys}) or a procfs directory ({@code /proc/sys}), where the kernel refuses new
 * entries to everyone. Each candidate is proved by trying to create a directory and a file in it;
 * the first that refuses both is chosen. Close it to make the scratch candidate writable again
 * (so the test's {@code @TempDir} can be deleted).
 *
 * <pre>{@code
 * try (UnwritableDirectory base = UnwritableDirectory.create(tmp)) {
 *   List<String> before = base.entries();
 *   assertThatThrownBy(() -> export(base.path())).hasMessageStartingWith("cannot write into " + base.path());
 *   assertThat(base.entries()).isEqualTo(before);      // nothing left behind
 * }
 * }</pre>
 */
public final class UnwritableDirectory implements AutoCloseable {
  private static final List<Path> KERNEL_DIRECTORIES = List.of(Path.of("/sys"), Path.of("/proc/sys"));

  private final Path path;
  private final Path madeReadOnly;

  private UnwritableDirectory(Path path, Path madeReadOnly) {
    this.path = path;
    this.madeReadOnly = madeReadOnly;
  }

  /**
   * The first candidate that refuses a new entry.
   *
   * @param scratch a directory of the test's own, where the {@code r-x} candidate is made
   * @throws AssertionError naming every candidate tried, if each of them accepted an entry
   */
  public static UnwritableDirectory create(Path scratch) {
    List<String> tried = new ArrayList<>();
    Path own;
    try {
      own = Files.createDirectories(scratch.resolve("unwritable"));
      Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("r-xr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (refusesEntries(own, tried)) {
      return new UnwritableDirectory(own, own);
    }
    makeWritable(own);
    for (Path candidate : KERNEL_DIRECTORIES) {
      if (Files.isDirectory(candidate) && refusesEntries(candidate, tried)) {
        return new UnwritableDirectory(candidate, null);
      }
    }
    throw new AssertionError("no directory refuses new entries to this process; tried " + tried);
  }

  /** The directory. */
  public Path path() {
    return path;
  }

  /** The names in the directory, sorted: the same before and after shows that nothing was left. */
  public List<String> entries() {
    try (Stream<Path> list = Files.list(path)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (madeReadOnly != null) {
      makeWritable(madeReadOnly);
    }
  }

  /** Whether creating a directory and a file in {@code dir} both fail; what happened goes into {@code tried}. */
  private static boolean refusesEntries(Path dir, List<String> tried) {
    String name = ".unwritable-probe-" + UUID.randomUUID();
    for (boolean directory : new boolean[] {true, false}) {
      Path probe = dir.resolve(name);
      try {
        if (directory) {
          Files.createDirectory(probe);
        } else {
          Files.createFile(probe);
        }
      } catch (FileSystemException refused) {
        continue;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      try {
        Files.delete(probe);
      } catch (IOException e) {
        throw new UncheckedIOException("could not remove the probe " + probe, e);
      }
      tried.add(dir + " (accepted a " + (directory ? "directory" : "file") + ")");
      return false;
    }
    return true;
  }

  private static void makeWritable(Path dir) {
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

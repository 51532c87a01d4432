package dev.tfmon.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.HashMap;
import java.util.Map;

/**
 * An exclusive lock on a checkpoint directory for the life of one training run, so that two
 * chiefs never interleave their checkpoints in one directory. The lock is an operating-system
 * lock ({@link FileChannel#tryLock()}) on {@code <dir>/tfmon.lock}, a small text file naming the
 * holder (pid, host, start time): it vanishes with the process however that ends, so a lock file
 * left by a killed run never blocks the next one. {@link #close()} deletes the file, and the
 * directory too when the lock created it and nothing else was written there.
 *
 * <pre>{@code
 * try (CheckpointDirLock lock = CheckpointDirLock.acquire(Path.of("runs/mine"))) {
 *   // train; a second acquire on runs/mine, in any process, fails naming this one
 * }
 * }</pre>
 *
 * <p>Beyond TF 1.x, which does not guard a directory. {@code MonitoredTrainingSession} takes this
 * lock for a chief with a checkpoint directory.
 */
public final class CheckpointDirLock implements AutoCloseable {
  /** The name of the lock file inside the locked directory. */
  public static final String FILE_NAME = "tfmon.lock";

  private final Path dir;
  private static final Map<Path, String> HELD = new HashMap<>();

  private final Path file;
  private final Path key;
  private final boolean createdDir;
  private FileChannel channel;

  private CheckpointDirLock(Path dir, Path file, Path key, boolean createdDir, FileChannel channel) {
    this.dir = dir;
    this.file = file;
    this.key = key;
    this.createdDir = createdDir;
    this.channel = channel;
  }

  /**
   * Takes the lock on {@code dir} (created with its parents if missing), without waiting.
   *
   * @throws HeldException if another run holds it, naming that run
   * @throws UncheckedIOException if the directory or the lock file cannot be created (a read-only
   *     disk, a file in the way), naming the path
   */
  public static CheckpointDirLock acquire(Path dir) {
    Objects.requireNonNull(dir, "dir");
    boolean created = !Files.exists(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create checkpoint directory " + dir + ": " + reason(e), e);
    }
    Path file = dir.resolve(FILE_NAME);
    Path key = file.toAbsolutePath().normalize();
    synchronized (HELD) {
      // In one process the operating system sees no conflict, and closing a second channel on the
      // file would drop the first one's lock: the JVM's own holders are kept here.
      if (HELD.containsKey(key)) {
        throw new HeldException(dir, HELD.get(key));
      }
    }
    // The holder deletes the file when it lets go; a waiter that opened the old file in between
    // locks a deleted file. The file's identity before opening and after locking tells: if the
    // path still names the same file, the lock is on it. (Reading the file through another
    // descriptor is no way to check: closing any descriptor of a file drops the process's locks.)
    for (int attempt = 0; ; attempt++) {
      Object before = fileKey(file);
      FileChannel channel;
      try {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create lock file " + file + ": " + reason(e), e);
      }
      try {
        FileLock lock = channel.tryLock();
        if (lock == null) {
          String holder = holderOf(channel);
          channel.close();
          throw new HeldException(dir, holder);
        }
        if (before != null && before.equals(fileKey(file))) {
          String holder = "pid " + ProcessHandle.current().pid() + " on " + hostname() + " since "
              + Instant.now().truncatedTo(ChronoUnit.SECONDS);
          channel.truncate(0);
          channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
          channel.force(false);
          synchronized (HELD) {
            HELD.put(key, holder);
          }
          return new CheckpointDirLock(dir, file, key, created, channel);
        }
        channel.close();
        if (attempt > 100) {
          throw new IllegalStateException("cannot take the lock " + file + ": it keeps being replaced");
        }
      } catch (IOException e) {
        closeQuietly(channel);
        throw new UncheckedIOException("cannot lock " + file + ": " + reason(e), e);
      } catch (RuntimeException e) {
        closeQuietly(channel);
        throw e;
      }
    }
  }

  /**
   * Whether a training run seems to hold {@code dir}, judged without touching the lock (taking it,
   * even briefly, could make a starting run fail): the lock file exists and names a live process
   * of this host, or a process of another host (which cannot be checked from here). A lock file
   * left by a killed run names a dead process: false. For evaluators that wait for training to end.
   */
  public static boolean isHeldByLiveProcess(Path dir) {
    Path file = dir.resolve(FILE_NAME);
    synchronized (HELD) {
      // Held by this JVM: never read the file, since closing any descriptor of it drops the lock.
      if (HELD.containsKey(file.toAbsolutePath().normalize())) {
        return true;
      }
    }
    String holder;
    try {
      holder = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return false;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^pid (\\d+) on (\\S+)").matcher(holder);
    if (!m.find()) {
      // being written, or written by something else: assume a holder
      return true;
    }
    if (!m.group(2).equals(hostname())) {
      return true;
    }
    return ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false);
  }

  private static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /** The locked directory. */
  public Path directory() {
    return dir;
  }

  /**
   * Releases the lock and deletes the lock file (and the directory, if the lock created it and it
   * is empty now). Idempotent.
   */
  @Override
  public synchronized void close() {
    if (channel == null) {
      return;
    }
    try {
      // Deleted while still locked: a waiter then sees the path change and retries.
      Files.deleteIfExists(file);
      if (createdDir) {
        try {
          Files.deleteIfExists(dir);
        } catch (DirectoryNotEmptyException keep) {
          // something was written: the directory stays
        }
      }
    } catch (IOException e) {
      // a lock file that cannot be deleted blocks nobody once unlocked
    } finally {
      closeQuietly(channel);
      channel = null;
      synchronized (HELD) {
        HELD.remove(key);
      }
    }
  }

  private static String holderOf(FileChannel channel) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(512);
    channel.read(buf, 0);
    String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
    return text.isEmpty() ? "another process" : text;
  }

  private static String hostname() {
    // "pid@host" is the runtime MXBean's name on HotSpot; no DNS lookup needed.
    String name = ManagementFactory.getRuntimeMXBean().getName();
    int at = name.indexOf('@');
    return at >= 0 ? name.substring(at + 1) : "unknown host";
  }

  private static String reason(IOException e) {
    String r = e.getMessage();
    if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
      r = fse.getReason();
    } else if (e instanceof java.nio.file.AccessDeniedException) {
      r = "permission denied";
    }
    return r == null ? e.getClass().getSimpleName() : r;
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing releases the lock; nothing more to do
    }
  }

  /** Another run holds the lock; the message names it. */
  public static final class HeldException extends IllegalStateException {
    private final Path dir;
    private final String holder;

    HeldException(Path dir, String holder) {
      super("checkpoint directory " + dir + " is in use by another training run (" + holder + ")");
      this.dir = dir;
      this.holder = holder;
    }

    public Path directory() {
      return dir;
    }

    /** Who holds the lock, e.g. {@code pid 4242 on host1 since 2026-01-01T10:00:00Z}. */
    public String holder() {
      return holder;
    }
  }
}

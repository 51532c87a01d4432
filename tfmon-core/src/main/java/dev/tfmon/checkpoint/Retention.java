package dev.tfmon.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which checkpoints a {@link Saver} keeps (TensorFlow 1.x's {@code max_to_keep} and {@code
 * keep_checkpoint_every_n_hours}) and the clean-up of what interrupted saves leave behind: stale
 * temporary files, and orphan checkpoints (written, but killed before the state file listed them).
 * Not thread-safe: the saver calls it under its lock.
 */
final class Retention {
  private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

  private final int maxToKeep;
  private final double keepEveryNSeconds;
  private final boolean recoverFromStateFile;
  private final Clock clock;

  /** Kept checkpoints (path and save time in seconds), oldest first. */
  private final List<Kept> kept = new ArrayList<>();
  private final Deque<Kept> toDelete = new ArrayDeque<>();
  private double nextCheckpointTime;
  private final Set<Path> cleanedDirs = new HashSet<>();

  private record Kept(String path, double time) {}

  /** What the state file records after a save. */
  record Listing(List<String> paths, List<Double> times, double lastPreserved) {}

  Retention(int maxToKeep, double keepCheckpointEveryNHours, boolean recoverFromStateFile, Clock clock) {
    this.maxToKeep = maxToKeep;
    this.keepEveryNSeconds = keepCheckpointEveryNHours * 3600.0;
    this.recoverFromStateFile = recoverFromStateFile;
    this.clock = clock;
    this.nextCheckpointTime = now() + keepEveryNSeconds;
  }

  /**
   * Once per directory, before the first save into it: removes temporary files a killed save left
   * and (if enabled) adopts the kept list of the directory's state file, so a restarted job keeps
   * deleting old checkpoints in order.
   */
  void beforeFirstSave(Path dir, String baseName) {
    if (!cleanedDirs.add(dir.toAbsolutePath().normalize())) {
      return;
    }
    removeStaleTemporaries(dir, baseName);
    if (!recoverFromStateFile || maxToKeep <= 0 || !kept.isEmpty()) {
      return;
    }
    Optional<CheckpointState> state;
    try {
      state = Checkpoints.checkpointState(dir);
    } catch (IllegalArgumentException e) {
      LOG.warn("{}", e.getMessage());
      return;
    }
    if (state.isEmpty()) {
      return;
    }
    CheckpointState s = state.get();
    List<String> paths = s.allModelCheckpointPaths();
    if (s.allModelCheckpointTimestamps().size() == paths.size()) {
      for (int i = 0; i < paths.size(); i++) {
        if (Checkpoints.checkpointExists(paths.get(i))) {
          kept.add(new Kept(paths.get(i), s.allModelCheckpointTimestamps().get(i)));
        }
      }
    } else {
      recover(paths);
    }
    if (s.lastPreservedTimestamp() > 0) {
      nextCheckpointTime = s.lastPreservedTimestamp() + keepEveryNSeconds;
    }
    LOG.info("picked up {} kept checkpoint(s) from {}", kept.size(), dir.resolve(Checkpoints.STATE_FILE));
  }

  /** Records a new checkpoint and returns what the state file should now list. */
  Listing record(String path) {
    if (maxToKeep > 0) {
      kept.removeIf(k -> k.path().equals(path));
      kept.add(new Kept(path, now()));
      while (kept.size() > maxToKeep) {
        toDelete.add(kept.remove(0));
      }
    }
    List<String> paths = new ArrayList<>();
    List<Double> times = new ArrayList<>();
    for (Kept k : kept) {
      paths.add(k.path());
      times.add(k.time());
    }
    if (paths.isEmpty() || !paths.get(paths.size() - 1).equals(path)) {
      times = List.of();
    }
    double preserved = nextCheckpointTime - keepEveryNSeconds;
    return new Listing(paths, times, Double.isFinite(preserved) ? preserved : 0);
  }

  /** Deletes at most one checkpoint that fell out of the kept list, unless it is kept for good. */
  void deleteExpired() {
    Kept old = toDelete.poll();
    if (old == null) {
      return;
    }
    if (old.time() > nextCheckpointTime) {
      LOG.info("keeping checkpoint {} for good (keep_checkpoint_every_n_hours)", old.path());
      nextCheckpointTime += keepEveryNSeconds;
      return;
    }
    Checkpoints.removeCheckpoint(old.path());
  }

  /**
   * The state file as it was before a save, with the oldest modification time among the
   * checkpoints it lists (read before retention deletes any of them).
   */
  record Before(Optional<CheckpointState> state, double oldestListed) {
    static Before of(Path dir) {
      Optional<CheckpointState> state;
      try {
        state = Checkpoints.checkpointState(dir);
      } catch (IllegalArgumentException unusable) {
        state = Optional.empty();
      }
      double oldest = Double.POSITIVE_INFINITY;
      for (String p : state.map(CheckpointState::allModelCheckpointPaths).orElse(List.of())) {
        double t = CheckpointFiles.newestMtime(Path.of(p));
        if (Double.isFinite(t)) {
          oldest = Math.min(oldest, t);
        }
      }
      return new Before(state, oldest);
    }
  }

  /**
   * Deletes orphan checkpoints of {@code baseName} ({@code <baseName>-<step>}) in {@code dir}: listed
   * by neither the state file before this save nor after it ({@code after}), newer than the oldest
   * checkpoint listed before (older ones may be kept for good by {@code
   * keep_checkpoint_every_n_hours}, or by a saver that does not adopt the state file), and older than
   * the newest listed now. Such a checkpoint was written by a save whose process died before it
   * could list it; retention would have deleted it in time. Nothing else is touched.
   */
  void deleteOrphans(Path dir, String baseName, Before before, CheckpointState after) {
    if (maxToKeep <= 0 || before.state().isEmpty() || !Double.isFinite(before.oldestListed())) {
      return;
    }
    Set<Path> listed = new HashSet<>();
    for (CheckpointState s : List.of(before.state().get(), after)) {
      s.allModelCheckpointPaths().forEach(p -> listed.add(normalized(p)));
      listed.add(normalized(s.modelCheckpointPath()));
    }
    double floor = before.oldestListed();
    double newest = CheckpointFiles.newestMtime(Path.of(after.modelCheckpointPath()));
    if (!(newest > floor)) {
      return;
    }
    Pattern own = Pattern.compile(Pattern.quote(baseName) + "-\\d+");
    for (Map.Entry<Path, Double> c : CheckpointFiles.checkpointsIn(dir).entrySet()) {
      Path prefix = c.getKey();
      if (!own.matcher(prefix.getFileName().toString()).matches() || listed.contains(normalized(prefix.toString()))) {
        continue;
      }
      if (c.getValue() > floor && c.getValue() < newest) {
        LOG.info(
            "removing orphan checkpoint {}: the state file {} does not list it, and it is older than {}",
            prefix,
            dir.resolve(Checkpoints.STATE_FILE),
            after.modelCheckpointPath());
        Checkpoints.removeCheckpoint(prefix.toString());
      }
    }
  }

  List<String> paths() {
    return kept.stream().map(Kept::path).toList();
  }

  /** Kept list from the {@code .index} modification times of those paths that still exist. */
  void recover(List<String> paths) {
    List<Kept> found = new ArrayList<>();
    for (String p : paths) {
      List<Double> t = Checkpoints.checkpointMtimes(List.of(p));
      if (!t.isEmpty()) {
        found.add(new Kept(p, t.get(0)));
      }
    }
    kept.clear();
    kept.addAll(found);
  }

  void set(List<String> paths, List<Double> times) {
    kept.clear();
    for (int i = 0; i < paths.size(); i++) {
      kept.add(new Kept(paths.get(i), times.get(i)));
    }
  }

  /**
   * Deletes what an interrupted save leaves: TensorFlow's {@code *.tempstate*} files and sharded
   * {@code *_temp} directories of this base name, and the temporary files of our atomic writes.
   */
  private static void removeStaleTemporaries(Path dir, String base) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        boolean stale =
            (name.startsWith(base) && (name.contains(".tempstate") || name.endsWith("_temp")))
                || (AtomicFiles.isTemporary(name)
                    && (name.startsWith(base) || name.startsWith(Checkpoints.STATE_FILE) || name.startsWith("graph.pbtxt")));
        if (stale) {
          LOG.info("removing {}, left by an interrupted save", f);
          deleteRecursively(f);
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot list {} for stale temporary files: {}", dir, e.toString());
    }
  }

  private static void deleteRecursively(Path f) throws IOException {
    if (Files.isDirectory(f)) {
      try (var children = Files.list(f)) {
        for (Iterator<Path> it = children.iterator(); it.hasNext(); ) {
          deleteRecursively(it.next());
        }
      }
    }
    Files.deleteIfExists(f);
  }

  private static Path normalized(String p) {
    return Path.of(p).toAbsolutePath().normalize();
  }

  private double now() {
    return clock.millis() / 1000.0;
  }
}

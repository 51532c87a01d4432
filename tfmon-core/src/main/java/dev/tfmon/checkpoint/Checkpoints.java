package dev.tfmon.checkpoint;

import dev.tfmon.errors.DataLossException;
import dev.tfmon.errors.TensorFlowStatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;

/**
 * The checkpoint state file ({@code <dir>/checkpoint}) and checkpoint files on disk, as TensorFlow
 * 1.x's {@code checkpoint_management} handles them, plus {@link #newestRestorable(Path)}: the
 * newest checkpoint that verifies, whatever the state file says.
 *
 * <pre>{@code
 * Optional<String> latest = Checkpoints.latestCheckpoint(Path.of("/train"));
 * Optional<String> good = Checkpoints.newestRestorable(Path.of("/train"));   // what to restore
 * }</pre>
 */
public final class Checkpoints {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  /** The state file's default name. */
  public static final String STATE_FILE = "checkpoint";
  private static final Pattern SHARD_SUFFIX = Pattern.compile("-[\\d?]+-of-\\d+$");
  private static final Pattern DATA_FILE = Pattern.compile("\\.data-\\d{5}-of-\\d{5}$");
  private static final Pattern STEP = Pattern.compile("-(\\d+)$");
  private static final Set<String> RELOCATIONS_LOGGED = ConcurrentHashMap.newKeySet();
  /** Fingerprints of checkpoints that verified, so a start-up verifies each only once. */
  private static final Map<String, Boolean> VERIFIED =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > 64;
            }
          });

  private Checkpoints() {}

  /**
   * The newest checkpoint the state file of {@code dir} names, if its files exist (as {@code
   * tf.train.latest_checkpoint}); empty when there is no usable state file or the files are gone
   * (logged).
   */
  public static Optional<String> latestCheckpoint(Path dir) {
    Optional<CheckpointState> state;
    try {
      state = checkpointState(dir);
    } catch (IllegalArgumentException e) {
      LOG.warn("{}", e.getMessage());
      return Optional.empty();
    }
    if (state.isEmpty()) {
      return Optional.empty();
    }
    String path = state.get().modelCheckpointPath();
    if (checkpointExists(path)) {
      return Optional.of(path);
    }
    LOG.error("Couldn't match files for checkpoint {}", path);
    return Optional.empty();
  }

  /**
   * Reads the state file {@code dir/checkpoint}, joining relative paths onto {@code dir}. Empty if
   * there is no file, or (logged as a warning) if it cannot be read or parsed, as TensorFlow does.
   *
   * @throws IllegalArgumentException if the file parses but names no model checkpoint path
   */
  public static Optional<CheckpointState> checkpointState(Path dir) {
    return checkpointState(dir, STATE_FILE);
  }

  /** {@link #checkpointState(Path)} for a state file named {@code latestFilename}. */
  public static Optional<CheckpointState> checkpointState(Path dir, String latestFilename) {
    Objects.requireNonNull(dir, "dir");
    Path file = dir.resolve(latestFilename);
    CheckpointState raw;
    try {
      raw = readStateFile(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("{}: cannot use checkpoint state file {}: {}", dir, file, e.getMessage());
      return Optional.empty();
    }
    if (raw.modelCheckpointPath().isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid checkpoint state loaded from " + dir + ": " + file + " names no model_checkpoint_path");
    }
    List<String> all = new ArrayList<>();
    raw.allModelCheckpointPaths().forEach(p -> all.add(locate(dir, p, file)));
    return Optional.of(
        new CheckpointState(
            locate(dir, raw.modelCheckpointPath(), file),
            all,
            raw.allModelCheckpointTimestamps(),
            raw.lastPreservedTimestamp()));
  }

  /**
   * A state-file path as a usable path: a relative one joined onto {@code dir}; an absolute one
   * outside {@code dir} that no longer exists replaced by a checkpoint of the same name beside the
   * state file, if there is one (the directory was copied or moved from where it was written with
   * absolute paths). The replacement is logged once per state file and path.
   */
  private static String locate(Path dir, String p, Path stateFile) {
    Path path = Path.of(p);
    if (!path.isAbsolute()) {
      return dir.resolve(p).toString();
    }
    Path parent = path.getParent();
    if (parent == null || checkpointExists(p)) {
      return p;
    }
    Path home = dir.toAbsolutePath().normalize();
    if (parent.normalize().equals(home)) {
      return p;
    }
    Path local = dir.resolve(path.getFileName());
    if (!checkpointExists(local.toString())) {
      return p;
    }
    if (RELOCATIONS_LOGGED.add(stateFile.toAbsolutePath().normalize() + "\n" + p)) {
      LOG.warn(
          "{} names {}, which does not exist; using {} beside it instead (the directory was copied or moved)",
          stateFile,
          p,
          local);
    }
    return local.toString();
  }

  /**
   * Parses a state file as it is on disk (paths not joined).
   *
   * @throws NoSuchFileException if it does not exist
   * @throws IllegalArgumentException if it does not parse
   */
  static CheckpointState readStateFile(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      return StateFile.parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "checkpoint state file " + file + " does not parse: " + e.getMessage(), e);
    }
  }

  /**
   * Builds a state as TensorFlow's {@code generate_checkpoint_state_proto} does: {@code modelPath}
   * is appended to {@code allPaths} unless it is already the last entry, and, only when {@code
   * saveDir} is relative, relative paths are rewritten relative to {@code saveDir}.
   *
   * @param allPaths the kept checkpoints (oldest first), or null for none
   * @param timestamps one per path (after appending), or null for none
   * @throws IllegalArgumentException if {@code timestamps} does not have one entry per path
   */
  public static CheckpointState generateCheckpointState(
      Path saveDir, String modelPath, List<String> allPaths, List<Double> timestamps, double lastPreserved) {
    Objects.requireNonNull(saveDir, "saveDir");
    Objects.requireNonNull(modelPath, "modelPath");
    List<String> all = new ArrayList<>(allPaths == null ? List.of() : allPaths);
    if (all.isEmpty() || !all.get(all.size() - 1).equals(modelPath)) {
      LOG.debug("{} is not in all_model_checkpoint_paths; appending it", modelPath);
      all.add(modelPath);
    }
    List<Double> times = timestamps == null ? List.of() : timestamps;
    if (!times.isEmpty() && times.size() != all.size()) {
      throw new IllegalArgumentException(
          "expected one timestamp per checkpoint path ("
              + all.size()
              + "), but got "
              + times.size()
              + " timestamps");
    }
    String model = modelPath;
    if (!saveDir.isAbsolute()) {
      model = relativeTo(saveDir, model);
      all.replaceAll(p -> relativeTo(saveDir, p));
    }
    return new CheckpointState(model, all, times, lastPreserved);
  }

  /**
   * Writes the state file {@code saveDir/checkpoint} atomically (TensorFlow's {@code
   * update_checkpoint_state_internal}).
   *
   * @param saveRelativePaths write absolute paths of checkpoints inside {@code saveDir} relative to
   *     it (paths elsewhere stay absolute, so they still point to the same files after a copy)
   * @throws IllegalArgumentException if the state file would overwrite the checkpoint itself
   * @throws UncheckedIOException if the file cannot be written
   */
  public static CheckpointState updateCheckpointState(
      Path saveDir,
      String modelPath,
      List<String> allPaths,
      List<Double> timestamps,
      double lastPreserved,
      boolean saveRelativePaths) {
    return updateCheckpointState(saveDir, modelPath, allPaths, timestamps, lastPreserved, saveRelativePaths, false);
  }

  /**
   * {@link #updateCheckpointState(Path, String, List, List, double, boolean)}, where {@code
   * prefixOnly} says the checkpoint is a V2 prefix whose files all carry a suffix, so a prefix named
   * like the state file does not collide with it.
   */
  static CheckpointState updateCheckpointState(
      Path saveDir,
      String modelPath,
      List<String> allPaths,
      List<Double> timestamps,
      double lastPreserved,
      boolean saveRelativePaths,
      boolean prefixOnly) {
    String model = modelPath;
    List<String> all = allPaths == null ? null : new ArrayList<>(allPaths);
    if (saveRelativePaths) {
      Path absDir = saveDir.toAbsolutePath().normalize();
      model = insideAsRelative(absDir, model);
      if (all != null) {
        all.replaceAll(p -> insideAsRelative(absDir, p));
      }
    }
    CheckpointState state = generateCheckpointState(saveDir, model, all, timestamps, lastPreserved);
    Path file = saveDir.resolve(STATE_FILE);
    if (!prefixOnly
        && file.toAbsolutePath().normalize().equals(Path.of(modelPath).toAbsolutePath().normalize())) {
      throw new IllegalArgumentException(
          "checkpoint path '" + modelPath + "' is the state file's own path; save the checkpoint under another name");
    }
    try {
      StateFile.writeAtomically(file, state);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint state file " + file + ": " + e, e);
    }
    return state;
  }

  private static String insideAsRelative(Path absDir, String p) {
    Path path = Path.of(p);
    if (!path.isAbsolute()) {
      return p;
    }
    Path normal = path.normalize();
    return normal.startsWith(absDir) && !normal.equals(absDir) ? absDir.relativize(normal).toString() : p;
  }

  /** True if {@code prefix.index} (V2) or the file {@code prefix} (V1) exists. */
  public static boolean checkpointExists(String prefix) {
    if (prefix == null || prefix.isEmpty()) {
      return false;
    }
    return Files.exists(Path.of(prefix + ".index")) || Files.isRegularFile(Path.of(prefix));
  }

  /**
   * The modification times (seconds since the epoch) of the given checkpoints' {@code .index}
   * files (or V1 files), in order; checkpoints that do not exist are left out.
   */
  public static List<Double> checkpointMtimes(List<String> prefixes) {
    List<Double> out = new ArrayList<>();
    for (String p : prefixes) {
      for (Path candidate : List.of(Path.of(p + ".index"), Path.of(p))) {
        if (Files.isRegularFile(candidate)) {
          try {
            out.add(Files.getLastModifiedTime(candidate).toMillis() / 1000.0);
            break;
          } catch (IOException e) {
            LOG.warn("cannot read the modification time of {}: {}", candidate, e.toString());
          }
        }
      }
    }
    return out;
  }

  /**
   * Deletes a checkpoint's {@code .meta}, {@code .index} and {@code .data-?????-of-?????} files;
   * missing files are skipped.
   */
  public static void removeCheckpoint(String prefix) {
    Path p = Path.of(prefix).toAbsolutePath();
    Path dir = p.getParent();
    String base = p.getFileName().toString();
    deleteQuietly(Path.of(metaGraphFilename(prefix)));
    deleteQuietly(Path.of(prefix + ".index"));
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.startsWith(base) && DATA_FILE.matcher(name.substring(base.length())).matches()) {
          deleteQuietly(f);
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot list {} to delete checkpoint {}: {}", dir, prefix, e.toString());
    }
  }

  /** {@code <ckpt>.meta}, after stripping a trailing {@code -NNNNN-of-MMMMM}. */
  public static String metaGraphFilename(String checkpointPath) {
    return SHARD_SUFFIX.matcher(checkpointPath).replaceFirst("") + ".meta";
  }

  /**
   * The newest checkpoint of {@code dir} that verifies (index parses, data files long enough,
   * every CRC32C matches), trying the state file's checkpoints newest first, then any other {@code
   * *.index} in the directory, newest first. Each damaged checkpoint is logged with its reason. An
   * unreadable state file does not hide the checkpoints: the directory is listed instead (logged).
   *
   * @return empty if {@code dir} holds no checkpoint at all (start from scratch)
   * @throws DataLossException naming every checkpoint tried and why it failed, when checkpoints
   *     exist but none is good
   */
  public static Optional<String> newestRestorable(Path dir) {
    Objects.requireNonNull(dir, "dir");
    Set<String> candidates = new LinkedHashSet<>();
    Path stateFile = dir.resolve(STATE_FILE);
    try {
      Optional<CheckpointState> state = checkpointState(dir);
      if (state.isPresent()) {
        List<String> all = new ArrayList<>(state.get().allModelCheckpointPaths());
        all.remove(state.get().modelCheckpointPath());
        all.add(state.get().modelCheckpointPath());
        for (int i = all.size() - 1; i >= 0; i--) {
          candidates.add(all.get(i));
        }
      } else if (Files.exists(stateFile)) {
        LOG.warn(
            "checkpoint state file {} is unreadable; looking for checkpoints in {} instead",
            stateFile,
            dir);
      }
    } catch (IllegalArgumentException e) {
      LOG.warn("{}; looking for checkpoints in {} instead", e.getMessage(), dir);
    }
    candidates.addAll(listCheckpoints(dir));
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    List<String> failures = new ArrayList<>();
    for (String prefix : candidates) {
      try (CheckpointReader reader = CheckpointReader.open(prefix)) {
        verifyOnce(reader);
        if (!failures.isEmpty()) {
          warnOnce("restoring " + prefix + " instead of the newer, damaged checkpoint(s) " + failures);
        }
        return Optional.of(prefix);
      } catch (TensorFlowStatusException e) {
        warnOnce("checkpoint " + prefix + " cannot be restored: " + e.getMessage());
        failures.add(prefix + " (" + e.getMessage() + ")");
      }
    }
    throw new DataLossException(
        "no checkpoint in " + dir + " can be restored: " + String.join("; ", failures));
  }

  /**
   * Logs a fallback warning the first time only: a program that looks for the newest restorable
   * checkpoint twice (a check before training, then the restore) warns once about each damaged one.
   */
  private static void warnOnce(String message) {
    if (WARNED.size() > 1000) {
      WARNED.clear();
    }
    if (WARNED.add(message)) {
      LOG.warn("{}", message);
    } else {
      LOG.debug("{}", message);
    }
  }

  private static final Set<String> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Verifies a checkpoint unless the same files (by name, size, modification time and inode)
   * verified before in this process: the CLI's start-up check and the session's restore both ask
   * for the newest restorable checkpoint, and reading every byte twice gains nothing.
   */
  private static void verifyOnce(CheckpointReader reader) {
    String fingerprint;
    try {
      fingerprint = CheckpointFiles.fingerprint(reader.prefix(), reader.numShards());
    } catch (IOException e) {
      reader.verify(); // a file is missing or unreadable: let verify() say which, in its words
      return;
    }
    if (VERIFIED.containsKey(fingerprint)) {
      return;
    }
    reader.verify();
    VERIFIED.put(fingerprint, Boolean.TRUE);
  }

  /**
   * What would not restore if {@code graph}'s saver restored checkpoint {@code prefix}: every
   * tensor its RestoreV2 ops read that is missing, or stored with another dtype, shape or slicing,
   * in the order the graph's variables were created. A graph without a saver is compared as a
   * default {@link Saver} would save it (every global variable, whole). Reads only the index.
   *
   * @throws dev.tfmon.errors.NotFoundException if the checkpoint's index does not exist
   * @throws DataLossException if the index is damaged
   */
  public static List<RestoreMismatch> mismatches(Graph graph, String prefix) {
    try (CheckpointReader reader = CheckpointReader.open(prefix)) {
      return mismatches(graph, reader);
    }
  }

  /** {@link #mismatches(Graph, String)} for a checkpoint already open. */
  public static List<RestoreMismatch> mismatches(Graph graph, CheckpointReader reader) {
    Objects.requireNonNull(graph, "graph");
    List<RestoreMismatch> found = new ArrayList<>(RestoreCheck.ofGraph(graph).mismatches(reader));
    if (found.size() > 1) {
      Map<String, Integer> order = new HashMap<>();
      int i = 0;
      for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
        order.put(it.next().name(), i++);
      }
      found.sort(Comparator.comparingInt(m -> order.getOrDefault(m.variable(), Integer.MAX_VALUE)));
    }
    return found;
  }

  /** Prefixes of the {@code *.index} files in {@code dir}, newest first. */
  static List<String> listCheckpoints(Path dir) {
    List<Path> indexes = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.index")) {
      files.forEach(indexes::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + dir + ": " + e, e);
    }
    List<String> prefixes = new ArrayList<>();
    for (Path p : indexes) {
      String s = p.toString();
      prefixes.add(s.substring(0, s.length() - ".index".length()));
    }
    prefixes.sort(Comparator.comparingDouble(Checkpoints::mtimeOrZero)
        .thenComparingLong(Checkpoints::stepOrMinus1)
        .reversed());
    return prefixes;
  }

  private static double mtimeOrZero(String prefix) {
    try {
      return Files.getLastModifiedTime(Path.of(prefix + ".index")).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  private static long stepOrMinus1(String prefix) {
    Matcher m = STEP.matcher(prefix);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String relativeTo(Path saveDir, String p) {
    if (Path.of(p).isAbsolute()) {
      return p;
    }
    return saveDir.normalize().relativize(Path.of(p).normalize()).toString();
  }

  private static void deleteQuietly(Path f) {
    try {
      Files.deleteIfExists(f);
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", f, e.toString());
    }
  }
}

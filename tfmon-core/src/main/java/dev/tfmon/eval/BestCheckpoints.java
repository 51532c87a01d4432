package dev.tfmon.eval;

import dev.tfmon.checkpoint.CheckpointState;
import dev.tfmon.checkpoint.Checkpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the K best checkpoints by an evaluation metric in a directory of their own ({@code
 * <model_dir>/best/} by default) with its own {@code checkpoint} state file, whatever the rolling
 * {@code maxToKeep} of the training saver deletes: Keras's {@code ModelCheckpoint(save_best_only)}
 * and Lightning's {@code save_top_k}, which TF 1.x lacks. A checkpoint enters the directory only
 * after its evaluation, as hard links to its files (a copy where links are impossible), so it
 * survives the training saver deleting the original.
 *
 * <pre>{@code
 * BestCheckpoints best = BestCheckpoints.builder(modelDir).keep(3).goal(MetricGoal.max("accuracy")).build();
 * Evaluation evaluation = Evaluation.builder(modelDir, model).listener(best).build();
 * // later: Checkpoints.latestCheckpoint(modelDir.resolve("best")) is the best one
 * }</pre>
 *
 * <p>The state file names the best checkpoint as {@code model_checkpoint_path} (so {@code
 * tf.train.latest_checkpoint(best_dir)} in Python returns it) and the kept ones in {@code
 * all_model_checkpoint_paths}, worst first and best last, by file name relative to the directory.
 * The ranking is rebuilt from every evaluation the {@link EvaluationLedger} holds (the latest
 * result of each checkpoint; ties keep the earlier step), so a restarted run keeps the same set;
 * each update makes the directory match it: missing members linked, the state file replaced
 * atomically, then the dropped ones deleted. A checkpoint whose files are gone from both places
 * cannot be kept and is passed over. Thread-safe.
 */
public final class BestCheckpoints implements EvaluationListener {
  private static final Logger LOG = LoggerFactory.getLogger(BestCheckpoints.class);
  private static final Pattern DATA_FILE = Pattern.compile("\\.data-\\d{5}-of-\\d{5}$");

  private final Path directory;
  private final int keep;
  private final MetricGoal goal;
  private final EvaluationLedger ledger;
  private final Map<String, EvalResult> offered = new LinkedHashMap<>();

  private BestCheckpoints(Builder b) {
    this.directory = b.directory;
    this.keep = b.keep;
    this.goal = b.goal;
    this.ledger = b.ledger;
  }

  /** Best checkpoints of {@code modelDir}, by default in {@code modelDir/best}, ranked from {@code modelDir}'s ledger. */
  public static Builder builder(Path modelDir) {
    return new Builder(modelDir);
  }

  /** The directory of the best checkpoints. */
  public Path directory() {
    return directory;
  }

  /** What it ranks by. */
  public MetricGoal goal() {
    return goal;
  }

  /** Ranks {@code result} with the rest and updates the directory; never asks training to stop. */
  @Override
  public boolean afterEvaluation(EvalResult result) {
    offer(result);
    return false;
  }

  /**
   * Ranks {@code result} with every evaluation seen (the ledger's and those offered) and makes the
   * directory hold the best {@code keep}.
   *
   * @return the kept checkpoints' paths in this directory, best first
   * @throws IllegalArgumentException if the result has no scalar metric of the goal's name
   * @throws UncheckedIOException if the directory cannot be updated
   */
  public synchronized List<String> offer(EvalResult result) {
    if (!result.metrics().containsKey(goal.metric()) || !result.metrics().get(goal.metric()).isScalar()) {
      throw new IllegalArgumentException("cannot rank " + result.checkpoint() + " by '" + goal.metric()
          + "': its evaluation has the scalar metrics " + result.scalars().keySet());
    }
    offered.put(baseName(result.checkpoint()), result);
    return update();
  }

  /** The kept checkpoints, best first, as the state file lists them (empty when there is none). */
  public List<String> kept() {
    Optional<CheckpointState> state = Checkpoints.checkpointState(directory);
    if (state.isEmpty()) {
      return List.of();
    }
    List<String> all = new ArrayList<>(state.get().allModelCheckpointPaths());
    java.util.Collections.reverse(all);
    return all;
  }

  private List<String> update() {
    List<EvalResult> ranked = ranking();
    List<EvalResult> chosen = new ArrayList<>();
    try {
      Files.createDirectories(directory);
      for (EvalResult r : ranked) {
        if (chosen.size() == keep) {
          break;
        }
        if (link(r.checkpoint())) {
          chosen.add(r);
        }
      }
      Set<String> keepNames = new LinkedHashSet<>();
      chosen.forEach(r -> keepNames.add(baseName(r.checkpoint())));
      if (!chosen.isEmpty()) {
        List<String> worstFirst = new ArrayList<>();
        for (int i = chosen.size() - 1; i >= 0; i--) {
          // absolute here, written relative to the directory: the state file names files inside it
          worstFirst.add(directory.toAbsolutePath().resolve(baseName(chosen.get(i).checkpoint())).toString());
        }
        Checkpoints.updateCheckpointState(directory.toAbsolutePath(), worstFirst.get(worstFirst.size() - 1),
            worstFirst, null, 0, true);
      }
      removeAllBut(keepNames);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot update the best checkpoints in " + directory + ": " + e.getMessage(), e);
    }
    List<String> out = new ArrayList<>();
    chosen.forEach(r -> out.add(inDirectory(r.checkpoint())));
    if (!chosen.isEmpty()) {
      LOG.info("best {} checkpoint(s) by {} in {}: {}", chosen.size(), goal, directory, describe(chosen));
    }
    return out;
  }

  /**
   * Every result with the metric, the latest per checkpoint file name (the name it has in this
   * directory: a kept copy evaluated again is the same checkpoint), best first (ties: earlier step
   * first).
   */
  private List<EvalResult> ranking() {
    Map<String, EvalResult> latest = new LinkedHashMap<>();
    if (ledger != null) {
      for (EvalResult r : ledger.read()) {
        latest.put(baseName(r.checkpoint()), r);
      }
    }
    latest.putAll(offered);
    List<EvalResult> out = new ArrayList<>();
    for (EvalResult r : latest.values()) {
      if (r.metrics().containsKey(goal.metric()) && r.metrics().get(goal.metric()).isScalar()
          && !Double.isNaN(r.scalar(goal.metric()))) {
        out.add(r);
      }
    }
    Comparator<EvalResult> byMetric = (a, b) -> goal.compare(a.scalar(goal.metric()), b.scalar(goal.metric()));
    out.sort(byMetric.thenComparingLong(EvalResult::globalStep));
    return out;
  }

  /**
   * Makes {@code checkpoint}'s files present in the directory: data files first, the index last
   * (a checkpoint without its index does not exist for readers), then the meta graph if any.
   *
   * @return false if neither the directory nor the original has the files
   */
  private boolean link(String checkpoint) throws IOException {
    String base = baseName(checkpoint);
    if (Checkpoints.checkpointExists(directory.resolve(base).toString())) {
      return true;
    }
    Path source = Path.of(checkpoint).toAbsolutePath();
    if (!Checkpoints.checkpointExists(source.toString())) {
      LOG.warn("checkpoint {} ranks among the best {} by {}, but its files are gone; passing over it", checkpoint, keep, goal);
      return false;
    }
    List<Path> data = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(source.getParent(), base + ".data-*")) {
      files.forEach(data::add);
    }
    for (Path f : data) {
      place(f, directory.resolve(f.getFileName()));
    }
    place(Path.of(source + ".index"), directory.resolve(base + ".index"));
    Path meta = Path.of(Checkpoints.metaGraphFilename(source.toString()));
    if (Files.exists(meta)) {
      place(meta, directory.resolve(meta.getFileName()));
    }
    return true;
  }

  /** A hard link to {@code from} at {@code to}, or an atomic copy where the file system has none. */
  private static void place(Path from, Path to) throws IOException {
    Files.deleteIfExists(to);
    try {
      Files.createLink(to, from);
      return;
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("cannot hard-link {} ({}); copying it", from, e.toString());
    }
    Path temp = to.resolveSibling(to.getFileName() + ".tmp" + System.nanoTime());
    try {
      Files.copy(from, temp, StandardCopyOption.REPLACE_EXISTING);
      try {
        Files.move(temp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, to, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Deletes the checkpoint files of every checkpoint not in {@code names} (index first). */
  private void removeAllBut(Set<String> names) throws IOException {
    Set<String> present = new LinkedHashSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path f : files) {
        String n = f.getFileName().toString();
        if (n.endsWith(".index")) {
          present.add(n.substring(0, n.length() - ".index".length()));
        } else if (DATA_FILE.matcher(n).find()) {
          present.add(DATA_FILE.matcher(n).replaceFirst(""));
        } else if (n.endsWith(".meta")) {
          present.add(n.substring(0, n.length() - ".meta".length()));
        }
      }
    }
    for (String base : present) {
      if (!names.contains(base)) {
        LOG.info("{} is no longer among the best {} by {}: removing it from {}", base, keep, goal, directory);
        Checkpoints.removeCheckpoint(directory.resolve(base).toString());
      }
    }
  }

  private String inDirectory(String checkpoint) {
    return directory.resolve(baseName(checkpoint)).toString();
  }

  private static String baseName(String checkpoint) {
    return Path.of(checkpoint).getFileName().toString();
  }

  private String describe(List<EvalResult> chosen) {
    List<String> parts = new ArrayList<>();
    chosen.forEach(r -> parts.add(baseName(r.checkpoint()) + " (" + goal.metric() + " " + r.scalar(goal.metric()) + ")"));
    return String.join(", ", parts);
  }

  /**
   * Settings of {@link BestCheckpoints}, checked at {@link #build()}.
   *
   * <pre>{@code
   * BestCheckpoints.builder(modelDir).keep(5).goal(MetricGoal.parse("loss:min")).build();
   * }</pre>
   */
  public static final class Builder {
    private final Path modelDir;
    private Path directory;
    private int keep = 1;
    private MetricGoal goal;
    private EvaluationLedger ledger;
    private boolean ledgerSet;

    private Builder(Path modelDir) {
      this.modelDir = Objects.requireNonNull(modelDir, "modelDir");
    }

    /** How many to keep (default 1). */
    public Builder keep(int k) {
      this.keep = k;
      return this;
    }

    /** The metric and direction to rank by (required). */
    public Builder goal(MetricGoal g) {
      this.goal = Objects.requireNonNull(g, "goal");
      return this;
    }

    /** Where the best checkpoints go (default {@code <modelDir>/best}). */
    public Builder directory(Path dir) {
      this.directory = Objects.requireNonNull(dir, "directory");
      return this;
    }

    /**
     * The ledger to rank from (default: {@code modelDir}'s default evaluation, {@code
     * eval/evaluations.jsonl}); null ranks only the results offered to this object.
     */
    public Builder ledger(EvaluationLedger l) {
      this.ledger = l;
      this.ledgerSet = true;
      return this;
    }

    /**
     * @throws IllegalArgumentException if {@code keep} is below 1, no goal is set, or the
     *     directory is the model directory itself (its state file is the training saver's)
     */
    public BestCheckpoints build() {
      if (keep < 1) {
        throw new IllegalArgumentException("expected keep >= 1 best checkpoints, but got " + keep);
      }
      if (goal == null) {
        throw new IllegalArgumentException("BestCheckpoints needs a goal: the metric to rank by, e.g. MetricGoal.min(\"loss\")");
      }
      if (directory == null) {
        directory = modelDir.resolve("best");
      }
      if (directory.toAbsolutePath().normalize().equals(modelDir.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException("the best checkpoints' directory cannot be the model directory " + modelDir
            + " itself: its checkpoint state file belongs to the training saver");
      }
      if (!ledgerSet) {
        ledger = EvaluationLedger.forModelDir(modelDir, "");
      }
      return new BestCheckpoints(this);
    }
  }
}

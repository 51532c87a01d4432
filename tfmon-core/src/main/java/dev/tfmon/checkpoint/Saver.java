package dev.tfmon.checkpoint;

import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.RunResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TString;

/**
 * Saves and restores a graph's variables as TensorFlow V2 checkpoints ({@code prefix.index} and
 * {@code prefix.data-NNNNN-of-MMMMM}), like TensorFlow 1.x's {@code tf.train.Saver}: the bytes are
 * written and read by TensorFlow's SaveV2, RestoreV2 and MergeV2Checkpoints kernels, run through
 * ops this saver adds under name scope {@code save} (or an imported {@code SaverDef} names). Each
 * save also updates the {@code checkpoint} state file (atomically, naming checkpoints of its own
 * directory by relative paths), deletes checkpoints beyond {@code maxToKeep} and orphans a killed
 * save left, and writes the MetaGraph to {@code prefix.meta}.
 *
 * <pre>{@code
 * Saver saver = Saver.builder(graph).maxToKeep(3).build();
 * String path = saver.save(session, "/train/model.ckpt", step);   // "/train/model.ckpt-100"
 * saver.restore(otherSession, Checkpoints.newestRestorable(Path.of("/train")).orElseThrow());
 * }</pre>
 *
 * <p>With {@link Builder#asyncSave(boolean)}, {@code save} only copies the variables' values (the
 * part that must not overlap training steps) and writes files on a background thread; {@link
 * #close()} finishes a save in flight. Thread-safe.
 */
public final class Saver implements AutoCloseable {
  private final Graph graph;
  private final SaverDef saverDef;
  private final List<SaveTarget> targets;
  private final Output<?> filenameTensor;
  private final Output<?> saveTensor;
  private final boolean saveRelativePaths;
  private final boolean padStepNumber;
  private final boolean writeMetaGraph;
  private final boolean asyncSave;
  private final String scopeName;
  private final Retention retention;

  private final Restorer restorer;
  private final SnapshotSaves snapshots;
  private boolean closed;

  private Saver(Graph graph, SaverDef def, List<SaveTarget> targets, String scopeName, Builder b) {
    this.graph = graph;
    this.saverDef = def;
    this.targets = List.copyOf(targets);
    this.scopeName = scopeName;
    this.filenameTensor = GraphNames.output(graph, def.getFilenameTensorName());
    this.saveTensor = GraphNames.output(graph, def.getSaveTensorName());
    this.restorer = new Restorer(filenameTensor, GraphNames.operation(graph, def.getRestoreOpName()));
    this.saveRelativePaths = b.saveRelativePaths;
    this.padStepNumber = b.padStepNumber;
    this.writeMetaGraph = b.writeMetaGraph;
    this.asyncSave = b.asyncSave;
    this.snapshots = new SnapshotSaves(graph, scopeName, this.targets, filenameTensor, def.getSharded());
    this.retention =
        new Retention(def.getMaxToKeep(), def.getKeepCheckpointEveryNHours(), b.recoverFromStateFile, b.clock);
  }

  /** A builder for a saver over {@code graph}'s variables. */
  public static Builder builder(Graph graph) {
    return new Builder(Objects.requireNonNull(graph, "graph"));
  }

  /** A saver with every default: all variables, {@code maxToKeep} 5, not sharded. */
  public static Saver create(Graph graph) {
    return builder(graph).build();
  }

  /**
   * A saver that runs the ops an existing {@code SaverDef} names (from a MetaGraph imported from
   * Python or Java), keeping its {@code max_to_keep} and {@code keep_checkpoint_every_n_hours}; the
   * same as {@code builder(graph).saverDef(def).build()}, which also takes the other settings.
   *
   * @throws IllegalArgumentException naming the tensor or op the graph lacks
   */
  public static Saver fromSaverDef(Graph graph, SaverDef def) {
    return builder(graph).saverDef(def).build();
  }

  /** The {@code SaverDef} describing this saver's ops (as exported into MetaGraphs). */
  public SaverDef saverDef() {
    return saverDef;
  }

  /** The graph this saver belongs to. */
  public Graph graph() {
    return graph;
  }

  /**
   * Saves to {@code prefix-<globalStep>} and returns that path. See {@link #save(RunnableSession,
   * String, Long, boolean)}.
   */
  public String save(RunnableSession session, String prefix, long globalStep) {
    return save(session, prefix, globalStep, writeMetaGraph);
  }

  /** Saves to {@code prefix} itself (no step suffix) and returns it. */
  public String save(RunnableSession session, String prefix) {
    return save(session, prefix, null, writeMetaGraph);
  }

  /**
   * Saves with the step read from {@code globalStep} (an integer scalar tensor of this graph),
   * evaluated first, as Python does when given a tensor.
   */
  public String save(RunnableSession session, String prefix, Operand<?> globalStep) {
    long step;
    try (RunResult r = session.runner().fetch(globalStep).run()) {
      step = r.getLong(globalStep);
    }
    return save(session, prefix, step, writeMetaGraph);
  }

  /**
   * Writes a checkpoint, then (in order) records it in the state file {@code
   * dirname(prefix)/checkpoint}, deletes at most one checkpoint that fell out of {@code maxToKeep},
   * and writes {@code <path>.meta} if {@code writeMetaGraph}.
   *
   * @param globalStep appended as {@code -<step>} (8-digit zero padded with {@code
   *     padStepNumber}), or null for none
   * @return the checkpoint path, e.g. {@code /train/model.ckpt-100}
   * @throws IllegalArgumentException if the parent directory cannot be created, or an unsharded
   *     saver is given no step and a prefix whose file name is {@code checkpoint}
   * @throws TensorFlowStatusException the typed error if TensorFlow fails to write
   */
  public String save(RunnableSession session, String prefix, Long globalStep, boolean writeMetaGraph) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(prefix, "prefix");
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("expected a checkpoint prefix such as /train/model.ckpt, but got \"\"");
    }
    if (session.graph() != graph) {
      throw new IllegalArgumentException("the session runs another graph than this saver's");
    }
    String path =
        globalStep == null
            ? prefix
            : prefix + "-" + (padStepNumber ? String.format("%08d", globalStep) : globalStep);
    Path dir = directoryOf(prefix);
    // Only an unsharded saver is refused, as in TensorFlow: a sharded one writes checkpoint.index
    // and checkpoint.data-*, never a file named like the state file.
    if (globalStep == null
        && !saverDef.getSharded()
        && Path.of(prefix).getFileName().toString().equals(Checkpoints.STATE_FILE)) {
      throw new IllegalArgumentException(
          "checkpoint prefix '" + prefix + "' collides with the state file 'checkpoint'; choose another name");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalArgumentException("Parent directory of " + prefix + " doesn't exist, can't save.", e);
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("this saver is closed");
      }
      retention.beforeFirstSave(dir, Path.of(prefix).getFileName().toString());
    }
    if (asyncSave) {
      return snapshots.submit(
          session,
          path,
          written -> {
            synchronized (this) {
              afterWrite(written, prefix, dir, writeMetaGraph);
            }
          });
    }
    String written;
    try (TString name = TString.scalarOf(path);
        RunResult r = session.runner().feed(filenameTensor, name).fetch(saveTensor).run()) {
      written = ((TString) r.get(0)).getObject();
    }
    synchronized (this) {
      afterWrite(written, prefix, dir, writeMetaGraph);
    }
    return written;
  }

  /**
   * Waits for an asynchronous save in flight, if any.
   *
   * @throws TensorFlowStatusException or another runtime exception if that save failed
   */
  public void awaitPendingSave() {
    snapshots.await();
  }

  /**
   * Bookkeeping after the files of {@code path} exist: state file, retention (one expired checkpoint
   * and any orphans), MetaGraph.
   */
  private void afterWrite(String path, String prefix, Path dir, boolean writeMetaGraph) {
    Retention.Before before = Retention.Before.of(dir);
    Retention.Listing listing = retention.record(path);
    CheckpointState after =
        Checkpoints.updateCheckpointState(
            dir, path, listing.paths(), listing.times(), listing.lastPreserved(), saveRelativePaths,
            saverDef.getSharded());
    retention.deleteExpired();
    CheckpointState resolved = Checkpoints.checkpointState(dir).orElse(after);
    retention.deleteOrphans(dir, Path.of(prefix).getFileName().toString(), before, resolved);
    if (writeMetaGraph) {
      MetaGraphs.exportMetaGraph(graph, this, Path.of(Checkpoints.metaGraphFilename(path)));
    }
  }

  /**
   * Restores every variable of this saver from {@code checkpointPath}. TensorFlow's RestoreV2 runs
   * first; only if it fails is the checkpoint's index compared with what this saver reads, so the
   * error names every offending variable. (Resource variables accept a value of any shape, so for
   * them the comparison also runs after a successful restore, once per checkpoint file.) A failed
   * restore may leave some variables restored and others not: discard or re-initialize the session.
   *
   * @throws IllegalArgumentException if {@code checkpointPath} is null or no checkpoint
   * @throws NotFoundException if variables are missing from the checkpoint (all are named)
   * @throws InvalidArgumentException if dtypes, shapes or slices differ (each is named, with both
   *     values)
   * @throws TensorFlowStatusException TensorFlow's typed error if RestoreV2 fails otherwise (e.g.
   *     {@code OutOfRangeException} for a truncated data file, {@code DataLossException} for a
   *     damaged one)
   */
  public void restore(RunnableSession session, String checkpointPath) {
    Objects.requireNonNull(session, "session");
    restorer.restore(session, checkpointPath);
  }

  /** The kept checkpoints, oldest first. */
  public synchronized List<String> lastCheckpoints() {
    return retention.paths();
  }

  /**
   * Replaces the kept list with those of {@code paths} whose files still exist, each with the
   * modification time of its {@code .index} as save time (TensorFlow's {@code
   * recover_last_checkpoints}). Use it after a restart so old checkpoints keep being deleted.
   */
  public synchronized void recoverLastCheckpoints(List<String> paths) {
    retention.recover(paths);
  }

  /**
   * Sets the kept list with explicit save times (seconds since the epoch), as TensorFlow's {@code
   * set_last_checkpoints_with_time}.
   *
   * @throws IllegalArgumentException if the lists differ in length
   */
  public synchronized void setLastCheckpointsWithTime(List<String> paths, List<Double> times) {
    if (paths.size() != times.size()) {
      throw new IllegalArgumentException(
          "expected one time per path, but got " + paths.size() + " paths and " + times.size() + " times");
    }
    retention.set(paths, times);
  }

  /**
   * Finishes an asynchronous save in flight (its failure, if any, is logged), then stops the
   * writer thread. Later calls do nothing; the session must still be open when this runs.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    snapshots.close();
  }


  private static Path directoryOf(String prefix) {
    Path parent = Path.of(prefix).getParent();
    return parent == null ? Path.of("") : parent;
  }

  /**
   * Settings of a {@link Saver}, checked at {@link #build()}.
   *
   * <pre>{@code
   * Saver saver = Saver.builder(graph).variables(List.of(w, b)).maxToKeep(0).sharded(true).build();
   * }</pre>
   */
  public static final class Builder {
    private final Graph graph;
    private List<GraphVariable> variables;
    private List<String> variableNames;
    private Integer maxToKeep;
    private Double keepCheckpointEveryNHours;
    private Boolean sharded;
    private boolean saveRelativePaths = true;
    private boolean padStepNumber;
    private boolean writeMetaGraph = true;
    private boolean asyncSave;
    private boolean recoverFromStateFile = true;
    private Clock clock = Clock.systemUTC();
    private String name;
    private SaverDef saverDef;

    private Builder(Graph graph) {
      this.graph = graph;
    }

    /** Saves these variables (default: every variable of the graph). */
    public Builder variables(List<GraphVariable> variables) {
      this.variables = List.copyOf(variables);
      return this;
    }

    /** Saves the variables with these op names. */
    public Builder variableNames(List<String> names) {
      this.variableNames = List.copyOf(names);
      return this;
    }

    /** How many recent checkpoints to keep (default 5); 0 keeps all and tracks none. */
    public Builder maxToKeep(int maxToKeep) {
      if (maxToKeep < 0) {
        throw new IllegalArgumentException(
            "expected maxToKeep >= 0 (0 keeps every checkpoint), but got " + maxToKeep);
      }
      this.maxToKeep = maxToKeep;
      return this;
    }

    /** Keeps one checkpoint for good every this many hours (default 10000). */
    public Builder keepCheckpointEveryNHours(double hours) {
      if (!(hours > 0)) {
        throw new IllegalArgumentException(
            "expected keepCheckpointEveryNHours > 0, but got " + hours);
      }
      this.keepCheckpointEveryNHours = hours;
      return this;
    }

    /** Writes one data file per device, merged into one index (default false). */
    public Builder sharded(boolean sharded) {
      this.sharded = sharded;
      return this;
    }

    /**
     * Whether the state file names checkpoints inside its own directory by relative paths, so a
     * copied or moved model directory resumes from its own checkpoints (default true; TensorFlow
     * 1.x's default is false). Checkpoints elsewhere keep absolute paths; false writes every path
     * as given.
     */
    public Builder saveRelativePaths(boolean relative) {
      this.saveRelativePaths = relative;
      return this;
    }

    /** Pads the step suffix to 8 digits ({@code model-00000005}), default false. */
    public Builder padStepNumber(boolean pad) {
      this.padStepNumber = pad;
      return this;
    }

    /** Whether {@code save} also writes {@code <path>.meta} (default true). */
    public Builder writeMetaGraph(boolean write) {
      this.writeMetaGraph = write;
      return this;
    }

    /**
     * Makes {@code save} copy the variables and return, writing the files on a background thread;
     * the state file names the checkpoint only once it is complete (default false).
     */
    public Builder asyncSave(boolean async) {
      this.asyncSave = async;
      return this;
    }

    /**
     * Whether the first save into a directory adopts the kept list of its state file, so a
     * restarted job deletes old checkpoints in order (default true; TensorFlow 1.x does not).
     */
    public Builder recoverFromStateFile(boolean recover) {
      this.recoverFromStateFile = recover;
      return this;
    }

    /** The clock for checkpoint times (tests use a fixed one). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Uses the ops an existing {@code SaverDef} names (from an imported MetaGraph) instead of adding
     * new ones; its {@code max_to_keep} and {@code keep_checkpoint_every_n_hours} apply unless set
     * here. It cannot be combined with {@code variables}, {@code variableNames}, {@code sharded},
     * {@code name} or {@code asyncSave}, which describe ops to build.
     */
    public Builder saverDef(SaverDef def) {
      this.saverDef = Objects.requireNonNull(def, "def");
      return this;
    }

    /** The name scope of the saver's ops (default {@code save}, made unique). */
    public Builder name(String name) {
      if (name == null || name.isEmpty() || name.contains(":")) {
        throw new IllegalArgumentException("expected a name scope such as 'save', but got '" + name + "'");
      }
      this.name = name;
      return this;
    }

    /**
     * Adds the saver's ops to the graph.
     *
     * @throws IllegalArgumentException if there is no variable to save, both {@code variables}
     *     and {@code variableNames} are set, a name is not a variable, or two variables share a
     *     name
     */
    public Saver build() {
      if (saverDef != null) {
        return fromDef();
      }
      if (variables != null && variableNames != null) {
        throw new IllegalArgumentException("set variables or variableNames, not both");
      }
      List<SaveTarget> targets = new ArrayList<>();
      Set<String> keys = new HashSet<>();
      for (Output<?> v : chosenVariables()) {
        SaveTarget t = SaveTarget.of(v);
        if (!keys.add(t.key())) {
          throw new IllegalArgumentException("variable '" + t.key() + "' is listed twice");
        }
        targets.add(t);
      }
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("No variables to save: the graph has no variable");
      }
      targets.sort(java.util.Comparator.comparing(SaveTarget::key));
      boolean shard = sharded != null && sharded;
      String scope = SaveGraph.freeScope(graph, name == null ? "save" : name);
      SaveGraph ops = new SaveGraph(graph, scope);
      @SuppressWarnings("unchecked")
      Output<TString> filename = ops.filenameTensor();
      Output<?> save = ops.buildSave(filename, targets, t -> ops.valueOf(t, "Read/ReadVariableOp"), shard, "");
      GraphOperation restore = ops.buildRestore(filename, targets, shard);
      SaverDef def =
          SaverDef.newBuilder()
              .setFilenameTensorName(GraphNames.tensorName(filename))
              .setSaveTensorName(GraphNames.tensorName(save))
              .setRestoreOpName(restore.name())
              .setMaxToKeep(maxToKeep == null ? 5 : maxToKeep)
              .setSharded(shard)
              .setKeepCheckpointEveryNHours(
                  (float) (keepCheckpointEveryNHours == null ? 10000.0 : keepCheckpointEveryNHours))
              .setVersion(SaverDef.CheckpointFormatVersion.V2)
              .build();
      return new Saver(graph, def, targets, scope, this);
    }

    private Saver fromDef() {
      if (saverDef.getVersion() != SaverDef.CheckpointFormatVersion.V2) {
        throw new IllegalArgumentException(
            "only V2 checkpoints are supported, but the SaverDef has version " + saverDef.getVersion());
      }
      List<String> conflicting = new ArrayList<>();
      if (variables != null) {
        conflicting.add("variables");
      }
      if (variableNames != null) {
        conflicting.add("variableNames");
      }
      if (sharded != null) {
        conflicting.add("sharded");
      }
      if (name != null) {
        conflicting.add("name");
      }
      if (asyncSave) {
        conflicting.add("asyncSave");
      }
      if (!conflicting.isEmpty()) {
        throw new IllegalArgumentException(
            "saverDef uses existing ops, so it cannot be combined with " + String.join(", ", conflicting));
      }
      SaverDef.Builder def = saverDef.toBuilder();
      if (maxToKeep != null) {
        def.setMaxToKeep(maxToKeep);
      }
      if (keepCheckpointEveryNHours != null) {
        def.setKeepCheckpointEveryNHours(keepCheckpointEveryNHours.floatValue());
      }
      String restore = saverDef.getRestoreOpName();
      String scope = restore.contains("/") ? restore.substring(0, restore.lastIndexOf('/')) : "";
      return new Saver(graph, def.build(), List.of(), scope, this);
    }

    private List<Output<?>> chosenVariables() {
      List<Output<?>> out = new ArrayList<>();
      if (variables != null) {
        variables.forEach(v -> out.add(v.variable()));
        return out;
      }
      if (variableNames != null) {
        for (String n : variableNames) {
          out.add(GraphNames.operation(graph, n).output(0));
        }
        return out;
      }
      SaveTarget.defaultVariables(graph).forEach(out::add);
      return out;
    }
  }
}

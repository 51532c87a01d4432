package dev.tfmon.checkpoint;

import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.Runner;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TString;

/**
 * Saves and restores a graph's variables as TensorFlow V2 checkpoints ({@code prefix.index} and
 * {@code prefix.data-NNNNN-of-MMMMM}), like TensorFlow 1.x's {@code tf.train.Saver}: the bytes are
 * written and read by TensorFlow's SaveV2, RestoreV2 and MergeV2Checkpoints kernels, run through
 * ops this saver adds under name scope {@code save}. Each save also updates the {@code checkpoint}
 * state file (atomically), deletes checkpoints beyond {@code maxToKeep}, and writes the MetaGraph
 * to {@code prefix.meta}.
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
  private static final Logger LOG = LoggerFactory.getLogger(Saver.class);

  private final Graph graph;
  private final SaverDef saverDef;
  private final List<SaveTarget> targets;
  private final Output<?> filenameTensor;
  private final Output<?> saveTensor;
  private final GraphOperation restoreOp;
  private final boolean saveRelativePaths;
  private final boolean padStepNumber;
  private final boolean writeMetaGraph;
  private final boolean asyncSave;
  private final boolean recoverFromStateFile;
  private final Clock clock;
  private final String scopeName;

  /** Kept checkpoints (path and save time in seconds), oldest first. */
  private final List<Kept> lastCheckpoints = new ArrayList<>();
  private final Deque<Kept> toDelete = new ArrayDeque<>();
  private double nextCheckpointTime;
  private final Set<Path> recoveredDirs = new HashSet<>();
  private Map<String, Expected> expected;

  private ExecutorService writer;
  private Future<String> inFlight;
  private List<Output<?>> snapshotCopies;
  private Output<?> snapshotSaveTensor;
  private Map<SaveTarget, Output<?>> snapshotInputs;
  private boolean closed;
  private final Object asyncLock = new Object();

  private record Kept(String path, double time) {}

  private record Expected(DataType dtype, Shape shape) {}

  private Saver(
      Graph graph,
      SaverDef def,
      List<SaveTarget> targets,
      String scopeName,
      Builder b) {
    this.graph = graph;
    this.saverDef = def;
    this.targets = List.copyOf(targets);
    this.scopeName = scopeName;
    this.filenameTensor = GraphNames.output(graph, def.getFilenameTensorName());
    this.saveTensor = GraphNames.output(graph, def.getSaveTensorName());
    this.restoreOp = GraphNames.operation(graph, def.getRestoreOpName());
    this.saveRelativePaths = b.saveRelativePaths;
    this.padStepNumber = b.padStepNumber;
    this.writeMetaGraph = b.writeMetaGraph;
    this.asyncSave = b.asyncSave;
    this.recoverFromStateFile = b.recoverFromStateFile;
    this.clock = b.clock;
    this.nextCheckpointTime = now() + def.getKeepCheckpointEveryNHours() * 3600.0;
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
   * Python or Java), keeping its {@code max_to_keep} and {@code keep_checkpoint_every_n_hours}.
   *
   * @throws IllegalArgumentException naming the tensor or op the graph lacks
   */
  public static Saver fromSaverDef(Graph graph, SaverDef def) {
    Objects.requireNonNull(def, "def");
    if (def.getVersion() != SaverDef.CheckpointFormatVersion.V2) {
      throw new IllegalArgumentException(
          "only V2 checkpoints are supported, but the SaverDef has version " + def.getVersion());
    }
    Builder b = builder(graph).maxToKeep(def.getMaxToKeep());
    String scope = def.getRestoreOpName().contains("/")
        ? def.getRestoreOpName().substring(0, def.getRestoreOpName().lastIndexOf('/'))
        : "";
    return new Saver(graph, def, List.of(), scope, b);
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
   * @throws IllegalArgumentException if the parent directory cannot be created, or without a step
   *     the prefix's file name is {@code checkpoint}
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
    if (globalStep == null && Path.of(prefix).getFileName().toString().equals(Checkpoints.STATE_FILE)) {
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
      cleanUpOnce(dir, prefix);
    }
    if (asyncSave) {
      return saveAsync(session, prefix, path, dir, writeMetaGraph);
    }
    String written;
    try (TString name = TString.scalarOf(path);
        RunResult r = session.runner().feed(filenameTensor, name).fetch(saveTensor).run()) {
      written = ((TString) r.get(0)).getObject();
    }
    synchronized (this) {
      afterWrite(written, dir, writeMetaGraph);
    }
    return written;
  }

  /**
   * Waits for an asynchronous save in flight, if any.
   *
   * @throws TensorFlowStatusException or another runtime exception if that save failed
   */
  public void awaitPendingSave() {
    Future<String> pending;
    synchronized (this) {
      pending = inFlight;
      inFlight = null;
    }
    if (pending == null) {
      return;
    }
    try {
      pending.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a checkpoint save", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException("asynchronous checkpoint save failed: " + cause, cause);
    }
  }

  private String saveAsync(
      RunnableSession session, String prefix, String path, Path dir, boolean writeMetaGraph) {
    // one snapshot at a time: a second caller waits here rather than racing on inFlight
    synchronized (asyncLock) {
      return snapshotAndSubmit(session, path, dir, writeMetaGraph);
    }
  }

  private String snapshotAndSubmit(
      RunnableSession session, String path, Path dir, boolean writeMetaGraph) {
    awaitPendingSave();
    List<Tensor> snapshot = new ArrayList<>();
    synchronized (this) {
      buildSnapshotOps();
    }
    Runner fetchAll = session.runner();
    snapshotCopiesList().forEach(fetchAll::fetch);
    try (RunResult r = fetchAll.run()) {
      for (int i = 0; i < r.size(); i++) {
        snapshot.add(r.take(i));
      }
    }
    synchronized (this) {
      if (writer == null) {
        writer =
            Executors.newSingleThreadExecutor(
                task -> {
                  Thread t = new Thread(task, "tfmon-checkpoint-writer");
                  t.setDaemon(true);
                  return t;
                });
      }
      inFlight =
          writer.submit(
              () -> {
                try (TString name = TString.scalarOf(path)) {
                  Runner runner = session.runner().feed(filenameTensor, name).fetch(snapshotSaveTensor);
                  int i = 0;
                  for (SaveTarget t : targets) {
                    runner.feed(snapshotInputs.get(t), snapshot.get(i++));
                  }
                  String written;
                  try (RunResult r = runner.run()) {
                    written = ((TString) r.get(0)).getObject();
                  }
                  synchronized (Saver.this) {
                    afterWrite(written, dir, writeMetaGraph);
                  }
                  return written;
                } catch (RuntimeException e) {
                  LOG.error("asynchronous save of {} failed: {}", path, e.getMessage());
                  throw e;
                } finally {
                  snapshot.forEach(Tensor::close);
                }
              });
    }
    return path;
  }

  private List<Output<?>> snapshotCopiesList() {
    synchronized (this) {
      return snapshotCopies;
    }
  }

  private void buildSnapshotOps() {
    if (snapshotCopies != null) {
      return;
    }
    SaveGraph ops = new SaveGraph(graph, scopeName);
    snapshotCopies = ops.snapshotCopies(targets);
    snapshotInputs = ops.snapshotPlaceholders(targets);
    snapshotSaveTensor =
        ops.buildSave(
            (Output<TString>) (Output<?>) filenameTensor,
            targets,
            snapshotInputs::get,
            saverDef.getSharded(),
            "snapshot/");
  }

  /** Bookkeeping after the files of {@code path} exist: state file, retention, MetaGraph. */
  private void afterWrite(String path, Path dir, boolean writeMetaGraph) {
    recordLastCheckpoint(path);
    List<Double> times = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    for (Kept k : lastCheckpoints) {
      paths.add(k.path());
      times.add(k.time());
    }
    if (paths.isEmpty() || !paths.get(paths.size() - 1).equals(path)) {
      times = List.of();
    }
    double preserved = nextCheckpointTime - saverDef.getKeepCheckpointEveryNHours() * 3600.0;
    Checkpoints.updateCheckpointState(
        dir, path, paths, times, Double.isFinite(preserved) ? preserved : 0, saveRelativePaths);
    maybeDeleteOldCheckpoints();
    if (writeMetaGraph) {
      MetaGraphs.exportMetaGraph(graph, this, Path.of(Checkpoints.metaGraphFilename(path)));
    }
  }

  /**
   * Restores every variable of this saver from {@code checkpointPath}. The checkpoint's contents
   * are checked first, so a mismatch names every offending variable.
   *
   * @throws IllegalArgumentException if {@code checkpointPath} is null or no checkpoint
   * @throws NotFoundException if variables are missing from the checkpoint (all are named)
   * @throws InvalidArgumentException if dtypes or shapes differ (each is named, with both values)
   * @throws dev.tfmon.errors.DataLossException if the checkpoint's index is damaged
   * @throws TensorFlowStatusException TensorFlow's typed error if RestoreV2 fails (e.g. {@code
   *     OutOfRangeException} for a truncated data file)
   */
  public void restore(RunnableSession session, String checkpointPath) {
    Objects.requireNonNull(session, "session");
    if (checkpointPath == null) {
      throw new IllegalArgumentException("Can't load save_path when it is None (null).");
    }
    if (!Checkpoints.checkpointExists(checkpointPath)) {
      throw new IllegalArgumentException(
          "The passed save_path is not a valid checkpoint: " + checkpointPath);
    }
    checkAgainst(checkpointPath);
    try (TString name = TString.scalarOf(checkpointPath)) {
      session.runner().feed(filenameTensor, name).addTarget(restoreOp).run().close();
    } catch (TensorFlowStatusException e) {
      throw TensorFlowStatusException.of(
          e.code(),
          "Restoring from checkpoint " + checkpointPath + " failed: " + e.tensorflowMessage(),
          e);
    }
  }

  private void checkAgainst(String checkpointPath) {
    Map<String, Expected> wanted = expectations();
    List<String> missing = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    try (CheckpointReader reader = CheckpointReader.open(checkpointPath)) {
      for (Map.Entry<String, Expected> e : wanted.entrySet()) {
        VariableInfo found = reader.variables().get(e.getKey());
        Expected want = e.getValue();
        String expected =
            CheckpointReader.typeName(want.dtype()) + " " + CheckpointReader.shapeText(want.shape());
        if (found == null) {
          missing.add("variable '" + e.getKey() + "' (" + expected + ") is missing from the checkpoint");
        } else if (found.dataType() != want.dtype()
            || (!want.shape().isUnknown() && !want.shape().equals(found.shape()))) {
          mismatched.add(
              "variable '" + e.getKey() + "': the graph expects " + expected + ", the checkpoint has "
                  + found.describe());
        }
      }
    }
    if (missing.isEmpty() && mismatched.isEmpty()) {
      return;
    }
    List<String> all = new ArrayList<>(missing);
    all.addAll(mismatched);
    String message =
        "Restoring from checkpoint " + checkpointPath + " failed, the graph does not match it: "
            + String.join("; ", all);
    if (!missing.isEmpty()) {
      throw new NotFoundException(message);
    }
    throw new InvalidArgumentException(message);
  }

  /**
   * What the restore op will read: tensor names, dtypes and (where the graph tells) shapes, found by
   * walking from the restore op to its RestoreV2 ops, so it works for imported savers too.
   */
  private synchronized Map<String, Expected> expectations() {
    if (expected != null) {
      return expected;
    }
    Map<String, Expected> out = new LinkedHashMap<>();
    Deque<GraphOperation> queue = new ArrayDeque<>(List.of(restoreOp));
    Set<String> seen = new HashSet<>();
    while (!queue.isEmpty()) {
      GraphOperation op = queue.poll();
      if (!seen.add(op.name())) {
        continue;
      }
      if (op.type().equals("RestoreV2")) {
        describeRestore(op, out);
        continue;
      }
      if (op.type().equals("VariableV2") || op.type().equals("VarHandleOp")) {
        continue;
      }
      queue.addAll(op.controlInputs());
      for (int i = 0; i < op.numInputs(); i++) {
        queue.add((GraphOperation) op.input(i).op());
      }
    }
    expected = out;
    return out;
  }

  private static void describeRestore(GraphOperation restore, Map<String, Expected> out) {
    GraphOperation namesOp = (GraphOperation) restore.input(1).op();
    if (!namesOp.type().equals("Const")) {
      return;
    }
    DataType[] dtypes = restore.attributes().getAttrTypeList("dtypes");
    List<String> names = stringValues(namesOp.attributes().getAttrValueProto("value").getTensor());
    if (names.size() != dtypes.length) {
      return;
    }
    {
      for (int i = 0; i < dtypes.length; i++) {
        String key = names.get(i);
        out.put(key, new Expected(dtypes[i], shapeOfConsumer(restore, i)));
      }
    }
  }

  /** The strings of a DT_STRING TensorProto, stored as string_val or as tensor_content (varint
   * lengths, then the bytes). */
  private static List<String> stringValues(org.tensorflow.proto.TensorProto proto) {
    List<String> out = new ArrayList<>();
    if (proto.getStringValCount() > 0) {
      proto.getStringValList().forEach(b -> out.add(b.toStringUtf8()));
      return out;
    }
    long n = 1;
    for (var d : proto.getTensorShape().getDimList()) {
      n *= d.getSize();
    }
    byte[] content = proto.getTensorContent().toByteArray();
    int pos = 0;
    long[] lengths = new long[(int) n];
    for (int i = 0; i < n; i++) {
      long v = 0;
      for (int shift = 0; ; shift += 7) {
        if (pos >= content.length || shift > 63) {
          return List.of();
        }
        int b = content[pos++] & 0xff;
        v |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      lengths[i] = v;
    }
    for (long len : lengths) {
      if (pos + len > content.length) {
        return List.of();
      }
      out.add(new String(content, pos, (int) len, java.nio.charset.StandardCharsets.UTF_8));
      pos += (int) len;
    }
    return out;
  }

  /** The declared shape of the variable that output {@code i} of a RestoreV2 is assigned to. */
  private static Shape shapeOfConsumer(GraphOperation restore, int index) {
    Deque<GraphOperation> consumers = new ArrayDeque<>(restore.consumers(index));
    int guard = 0;
    while (!consumers.isEmpty() && guard++ < 16) {
      GraphOperation c = consumers.poll();
      switch (c.type()) {
        case "Identity":
          consumers.addAll(c.consumers(0));
          break;
        case "Assign":
        case "AssignVariableOp": {
          GraphOperation variable = (GraphOperation) c.input(0).op();
          if (variable.type().equals("VariableV2") || variable.type().equals("VarHandleOp")) {
            return variable.attributes().getAttrShape("shape");
          }
          break;
        }
        default:
          break;
      }
    }
    return Shape.unknown();
  }

  /** The kept checkpoints, oldest first. */
  public synchronized List<String> lastCheckpoints() {
    return lastCheckpoints.stream().map(Kept::path).toList();
  }

  /**
   * Replaces the kept list with those of {@code paths} whose files still exist, each with the
   * modification time of its {@code .index} as save time (TensorFlow's {@code
   * recover_last_checkpoints}). Use it after a restart so old checkpoints keep being deleted.
   */
  public synchronized void recoverLastCheckpoints(List<String> paths) {
    List<Kept> kept = new ArrayList<>();
    for (String p : paths) {
      List<Double> t = Checkpoints.checkpointMtimes(List.of(p));
      if (!t.isEmpty()) {
        kept.add(new Kept(p, t.get(0)));
      }
    }
    lastCheckpoints.clear();
    lastCheckpoints.addAll(kept);
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
    lastCheckpoints.clear();
    for (int i = 0; i < paths.size(); i++) {
      lastCheckpoints.add(new Kept(paths.get(i), times.get(i)));
    }
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
    try {
      awaitPendingSave();
    } catch (RuntimeException e) {
      LOG.error("the last asynchronous checkpoint save failed: {}", e.getMessage());
    } finally {
      synchronized (this) {
        if (writer != null) {
          writer.shutdown();
        }
      }
    }
  }

  private void recordLastCheckpoint(String path) {
    if (saverDef.getMaxToKeep() <= 0) {
      return;
    }
    lastCheckpoints.removeIf(k -> k.path().equals(path));
    lastCheckpoints.add(new Kept(path, now()));
    while (lastCheckpoints.size() > saverDef.getMaxToKeep()) {
      toDelete.add(lastCheckpoints.remove(0));
    }
  }

  private void maybeDeleteOldCheckpoints() {
    Kept old = toDelete.poll();
    if (old == null) {
      return;
    }
    if (old.time() > nextCheckpointTime) {
      LOG.info("keeping checkpoint {} for good (keep_checkpoint_every_n_hours)", old.path());
      nextCheckpointTime += saverDef.getKeepCheckpointEveryNHours() * 3600.0;
      return;
    }
    Checkpoints.removeCheckpoint(old.path());
  }

  /**
   * Once per directory: picks up the kept list from an existing state file (so a restarted job
   * keeps deleting old checkpoints in order) and removes temporary files a killed save left behind.
   */
  private void cleanUpOnce(Path dir, String prefix) {
    if (!recoveredDirs.add(dir.toAbsolutePath().normalize())) {
      return;
    }
    removeStaleTemporaries(dir, Path.of(prefix).getFileName().toString());
    if (!recoverFromStateFile || saverDef.getMaxToKeep() <= 0 || !lastCheckpoints.isEmpty()) {
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
          lastCheckpoints.add(new Kept(paths.get(i), s.allModelCheckpointTimestamps().get(i)));
        }
      }
    } else {
      recoverLastCheckpoints(paths);
    }
    if (s.lastPreservedTimestamp() > 0) {
      nextCheckpointTime = s.lastPreservedTimestamp() + saverDef.getKeepCheckpointEveryNHours() * 3600.0;
    }
    LOG.info("picked up {} kept checkpoint(s) from {}", lastCheckpoints.size(), dir.resolve("checkpoint"));
  }

  /**
   * Deletes what an interrupted save leaves: TensorFlow's {@code *.tempstate*} files, sharded
   * {@code *_temp} directories and our own {@code checkpoint.tmp*} files.
   */
  private static void removeStaleTemporaries(Path dir, String base) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        boolean stale =
            (name.startsWith(base)
                    && (name.contains(".tempstate") || name.endsWith("_temp") || name.contains(".meta.tmp")))
                || name.startsWith(Checkpoints.STATE_FILE + StateFile.TEMP_MARKER);
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

  private static Path directoryOf(String prefix) {
    Path parent = Path.of(prefix).getParent();
    return parent == null ? Path.of("") : parent;
  }

  private double now() {
    return clock.millis() / 1000.0;
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
    private int maxToKeep = 5;
    private double keepCheckpointEveryNHours = 10000.0;
    private boolean sharded;
    private boolean saveRelativePaths;
    private boolean padStepNumber;
    private boolean writeMetaGraph = true;
    private boolean asyncSave;
    private boolean recoverFromStateFile = true;
    private Clock clock = Clock.systemUTC();
    private String name = "save";

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

    /** Writes paths relative to the directory into the state file (default false: as given). */
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
      String scope = SaveGraph.freeScope(graph, name);
      SaveGraph ops = new SaveGraph(graph, scope);
      @SuppressWarnings("unchecked")
      Output<TString> filename = ops.filenameTensor();
      Output<?> save = ops.buildSave(filename, targets, t -> ops.valueOf(t, "Read/ReadVariableOp"), sharded, "");
      GraphOperation restore = ops.buildRestore(filename, targets, sharded);
      SaverDef def =
          SaverDef.newBuilder()
              .setFilenameTensorName(GraphNames.tensorName(filename))
              .setSaveTensorName(GraphNames.tensorName(save))
              .setRestoreOpName(restore.name())
              .setMaxToKeep(maxToKeep)
              .setSharded(sharded)
              .setKeepCheckpointEveryNHours((float) keepCheckpointEveryNHours)
              .setVersion(SaverDef.CheckpointFormatVersion.V2)
              .build();
      return new Saver(graph, def, targets, scope, this);
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
      GraphCollections collections = GraphCollections.of(graph);
      Set<String> seen = new HashSet<>();
      Set<String> local = new HashSet<>();
      collections.variables(CollectionKeys.LOCAL_VARIABLES).forEach(v -> local.add(v.name()));
      for (GraphVariable v : collections.variables(CollectionKeys.GLOBAL_VARIABLES)) {
        if (seen.add(v.name())) {
          out.add(v.variable());
        }
      }
      for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        boolean variable = op.type().equals("VariableV2") || op.type().equals("VarHandleOp");
        if (variable && !local.contains(op.name()) && seen.add(op.name())) {
          out.add(op.output(0));
        }
      }
      return out;
    }
  }
}

package dev.tfmon.hook;

import com.google.protobuf.TextFormat;
import dev.tfmon.checkpoint.AtomicFiles;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.summary.GraphDefs;
import dev.tfmon.summary.SessionLogs;
import dev.tfmon.summary.SummaryWriter;
import dev.tfmon.summary.SummaryWriterCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TInt64;

/**
 * Saves a checkpoint every N steps or seconds, at each session creation and at the end
 * (TensorFlow 1.x's {@code CheckpointSaverHook}). Files are {@code
 * <checkpointDir>/<basename>-<step>.*}; on each session creation it also writes {@code
 * graph.pbtxt} (unless {@code saveGraphDef(false)}) and adds the graph and a MetaGraph with the
 * saver's SaverDef to the directory's event file; every save adds a {@code SessionLog CHECKPOINT}
 * event.
 *
 * <pre>{@code
 * CheckpointSaverHook hook = CheckpointSaverHook.builder(Path.of("/train"))
 *     .saveSteps(1000).scaffold(scaffold).listener(myListener).build();
 * }</pre>
 *
 * <p>The saver is the one given, else the scaffold's, else the single saver of the graph's {@code
 * savers} collection. Asynchronous saving is opt-in: give a {@link Saver} built with {@code
 * asyncSave(true)} (directly or through the scaffold); the hook waits for the last save at {@code
 * end}.
 */
public final class CheckpointSaverHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointSaverHook.class);

  private final Path checkpointDir;
  private final String savePath;
  private final SecondOrStepTimer timer;
  private final Saver explicitSaver;
  private final Scaffold scaffold;
  private final List<CheckpointSaverListener> listeners;
  private final boolean saveGraphDef;
  private final int stepsPerRun;
  private final StaleStep staleStep;
  private final LongPredicate mayFireAt;
  private final boolean writeBeforeFirstStep;
  /** False until the first step after session creation succeeded (when writes wait for it). */
  private boolean stepped;
  private Graph graph;
  private Output<TInt64> stepRead;
  private SessionRunArgs args;
  private SummaryWriter writer;
  private Saver collectionSaver;

  private CheckpointSaverHook(Builder b, SecondOrStepTimer timer) {
    this.checkpointDir = b.checkpointDir;
    this.savePath = b.checkpointDir.resolve(b.basename).toString();
    this.timer = timer;
    this.explicitSaver = b.saver;
    this.scaffold = b.scaffold;
    this.listeners = List.copyOf(b.listeners);
    this.saveGraphDef = b.saveGraphDef;
    this.stepsPerRun = b.stepsPerRun;
    this.staleStep = new StaleStep(b.fetchStepEveryNRuns, b.stepsPerRun);
    this.mayFireAt = stale -> timer.shouldTriggerForStep(stale + stepsPerRun);
    this.writeBeforeFirstStep = b.writeBeforeFirstStep;
  }

  public static Builder builder(Path checkpointDir) {
    return new Builder(checkpointDir);
  }

  /** The checkpoint prefix without step, e.g. {@code /train/model.ckpt}. */
  public String savePath() {
    return savePath;
  }

  @Override
  public void begin(BeginContext context) {
    graph = context.graph();
    writer = writeBeforeFirstStep ? SummaryWriterCache.get(checkpointDir, graph) : null;
    stepped = false;
    stepRead = HookSupport.stepRead(graph, "CheckpointSaverHook");
    args = SessionRunArgs.fetch(stepRead);
    staleStep.reset();
    for (CheckpointSaverListener l : listeners) {
      l.begin();
    }
  }

  @Override
  public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
    long step = GlobalStep.value(session);
    if (!writeBeforeFirstStep) {
      // Nothing is written until a step has succeeded; the restored step counts as saved.
      timer.updateLastTriggeredStep(step);
      return;
    }
    writeGraphs();
    save(session, step);
    timer.updateLastTriggeredStep(step);
  }

  /** graph.pbtxt and the graph and meta-graph events. */
  private void writeGraphs() {
    // Written after begin(): other hooks may still add to the graph in begin().
    if (saveGraphDef) {
      writeGraphText(GraphDefs.withShapes(graph), checkpointDir.resolve("graph.pbtxt"));
    }
    Saver saver = saver();
    MetaGraphDef.Builder meta = GraphDefs.metaGraph(graph).toBuilder();
    if (saver != null) {
      meta.setSaverDef(saver.saverDef());
    }
    writer.addGraph(graph);
    writer.addMetaGraph(meta.build());
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return staleStep.fetchBefore(false, mayFireAt) ? args : null;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    if (!stepped && !writeBeforeFirstStep) {
      if (writer == null) {
        writer = SummaryWriterCache.get(checkpointDir, graph);
      }
      writeGraphs();
    }
    stepped = true;
    long stale = staleStep.afterRun(values, stepRead);
    // A run that did not fetch was judged not due in beforeRun (a seconds timer that becomes due
    // meanwhile fires at the next run, which fetches).
    if (staleStep.fetched() && timer.shouldTriggerForStep(stale + stepsPerRun)) {
      long step = GlobalStep.value(context.session());
      if (timer.shouldTriggerForStep(step)) {
        timer.updateLastTriggeredStep(step);
        if (save(context.session(), step)) {
          context.requestStop();
        }
      }
    }
  }

  @Override
  public void end(RunnableSession session) {
    if (!writeBeforeFirstStep && !stepped) {
      // no step ran: nothing to save, and nothing was written
      long step = GlobalStep.value(session);
      for (CheckpointSaverListener l : listeners) {
        l.end(session, step);
      }
      return;
    }
    long step = GlobalStep.value(session);
    OptionalLong last = timer.lastTriggeredStep();
    if (last.isEmpty() || last.getAsLong() != step) {
      save(session, step);
    }
    Saver saver = saver();
    if (saver != null) {
      saver.awaitPendingSave();
    }
    for (CheckpointSaverListener l : listeners) {
      l.end(session, step);
    }
  }

  /** Saves at {@code step}; true if a listener asked to stop (every listener is called). */
  private boolean save(RunnableSession session, long step) {
    LOG.info("saving the checkpoint of step {} to {}", step, savePath);
    for (CheckpointSaverListener l : listeners) {
      l.beforeSave(session, step);
    }
    Saver saver = saver();
    if (saver == null) {
      throw new IllegalStateException(
          "CheckpointSaverHook has no saver: the scaffold has none because the graph has no variable to save");
    }
    saver.save(session, savePath, step, saveGraphDef);
    writer.addSessionLog(SessionLogs.checkpoint(savePath), step);
    boolean stop = false;
    for (CheckpointSaverListener l : listeners) {
      if (l.afterSave(session, step)) {
        LOG.info("checkpoint listener {} asked to stop training after the save at step {}", l, step);
        stop = true;
      }
    }
    return stop;
  }

  private synchronized Saver saver() {
    if (explicitSaver != null) {
      return explicitSaver;
    }
    if (scaffold != null) {
      return scaffold.saver();
    }
    if (collectionSaver == null) {
      List<Object> savers = GraphCollections.of(graph).get(CollectionKeys.SAVERS);
      if (savers.isEmpty()) {
        throw new IllegalStateException(
            "CheckpointSaverHook has no saver: none was given, nor a scaffold, and the graph's 'savers'"
                + " collection is empty; give the hook a saver or a scaffold");
      }
      if (savers.size() > 1) {
        throw new IllegalStateException(
            "CheckpointSaverHook cannot choose a saver: the graph's 'savers' collection holds "
                + savers.size()
                + "; give the hook the one to use with saver(...)");
      }
      Object item = savers.get(0);
      collectionSaver =
          item instanceof Saver ? (Saver) item : Saver.fromSaverDef(graph, (SaverDef) item);
    }
    return collectionSaver;
  }

  static void writeGraphText(org.tensorflow.proto.GraphDef def, Path file) {
    try {
      Files.createDirectories(file.getParent());
      AtomicFiles.write(file, TextFormat.printer().printToString(def).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Builds a {@link CheckpointSaverHook}; validated at {@link #build()}. */
  public static final class Builder extends SavingHookBuilder<Builder> {
    private final Path checkpointDir;
    private Saver saver;
    private Scaffold scaffold;
    private String basename = "model.ckpt";
    private final List<CheckpointSaverListener> listeners = new ArrayList<>();
    private boolean saveGraphDef = true;
    private int stepsPerRun = 1;
    private int fetchStepEveryNRuns = 1;
    private boolean writeBeforeFirstStep = true;

    private Builder(Path checkpointDir) {
      this.checkpointDir = Objects.requireNonNull(checkpointDir, "checkpointDir");
    }

    /** The saver to use (excludes {@link #scaffold}). */
    public Builder saver(Saver s) {
      this.saver = Objects.requireNonNull(s, "saver");
      return this;
    }

    /** The scaffold whose saver to use (excludes {@link #saver}). */
    public Builder scaffold(Scaffold s) {
      this.scaffold = Objects.requireNonNull(s, "scaffold");
      return this;
    }

    /** The checkpoint file name prefix (default {@code model.ckpt}). */
    public Builder checkpointBasename(String name) {
      this.basename = Objects.requireNonNull(name, "checkpointBasename");
      return this;
    }

    public Builder listener(CheckpointSaverListener l) {
      listeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    public Builder listeners(List<? extends CheckpointSaverListener> list) {
      list.forEach(this::listener);
      return this;
    }

    /** Whether to write graph.pbtxt and {@code .meta} files (default true). */
    public Builder saveGraphDef(boolean save) {
      this.saveGraphDef = save;
      return this;
    }

    /**
     * Whether to write at session creation (default true, as TF 1.x): {@code graph.pbtxt}, the
     * graph events and a checkpoint of the initial or restored model. With false nothing is
     * written until the first step after session creation has succeeded: the graph files follow
     * that step, the first checkpoint is the timer's, and {@code end} saves only if a step ran. A
     * run that fails at its first step, or has none to run, leaves the directory untouched.
     */
    public Builder writeBeforeFirstStep(boolean write) {
      this.writeBeforeFirstStep = write;
      return this;
    }

    /** How much each run advances the global step (default 1). */
    public Builder stepsPerRun(int steps) {
      this.stepsPerRun = steps;
      return this;
    }

    /**
     * Fetch the global step in one run out of {@code n} and when the timer may fire, instead of in
     * every run (default 1, TensorFlow 1.x): cheaper runs, but a step advanced by something else
     * than this loop is seen up to {@code n} runs late (see docs/BENCHMARKS.md, issue 16).
     */
    public Builder fetchStepEveryNRuns(int n) {
      this.fetchStepEveryNRuns = n;
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the values if both saver and scaffold are set, not
     *     exactly one of saveSteps and saveSecs, the basename is empty or stepsPerRun is below 1
     */
    public CheckpointSaverHook build() {
      StaleStep.requireFetchEveryNRuns(fetchStepEveryNRuns);
      if (saver != null && scaffold != null) {
        throw new IllegalArgumentException(
            "saver and scaffold are both set: the hook saves with the saver given, or else with the"
                + " scaffold's; set only one of them");
      }
      if (basename.isEmpty()) {
        throw new IllegalArgumentException("expected a non-empty checkpointBasename, but got ''");
      }
      HookSupport.requireStepsPerRun(stepsPerRun);
      return new CheckpointSaverHook(this, timer());
    }
  }
}

package dev.tfmon.eval;

import dev.tfmon.checkpoint.CheckpointDirLock;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.eval.metrics.MetricValue;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.summary.SummaryWriter;
import dev.tfmon.summary.SummaryWriterCache;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.Summary;

/**
 * Evaluates checkpoints of a model directory, as TensorFlow 1.x's {@code evaluate_once} / {@code
 * evaluate_repeatedly} and an Estimator's {@code evaluate}: {@link #once} restores one checkpoint
 * into a fresh graph built by the {@link EvalModel}, runs the metrics over the eval input until it
 * ends (or for {@code maxBatches} batches), writes every scalar metric as a summary at the
 * checkpoint's global step into {@code <model_dir>/eval/} (or {@code eval_<name>/}, Estimator's
 * layout, so TensorBoard shows it as its own run next to training), appends a line to the {@link
 * EvaluationLedger} there, tells the listeners, and returns the values. {@link #repeatedly} does
 * that for every new checkpoint: the sidecar evaluator.
 *
 * <pre>{@code
 * Evaluation evaluation = Evaluation.builder(Path.of("runs/spirals"), model)
 *     .listener(BestCheckpoints.builder(Path.of("runs/spirals")).keep(3).goal(MetricGoal.min("loss")).build())
 *     .build();
 * EvalResult r = evaluation.once("runs/spirals/model.ckpt-2000");
 * evaluation.repeatedly(Duration.ofMinutes(10));     // every new checkpoint until training ends
 * }</pre>
 *
 * <p>An evaluation only reads the training directory: it takes no lock and never writes there
 * outside its evaluation directory (listeners such as {@link BestCheckpoints} write their own).
 * Hooks run in every evaluation session as in any {@code MonitoredSession}, each time on a new
 * graph. Not meant to be called from two threads at once.
 */
public final class Evaluation {
  private static final Logger LOG = LoggerFactory.getLogger(Evaluation.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");

  private final Path modelDir;
  private final EvalModel model;
  private final String name;
  private final Long maxBatches;
  private final List<SessionRunHook> hooks;
  private final List<EvaluationListener> listeners;
  private final String master;
  private final ConfigProto config;
  private final boolean writeSummaries;
  private final boolean writeLedger;
  private final Clock clock;
  private final Path evalDir;
  private final EvaluationLedger ledger;

  private Evaluation(Builder b) {
    this.modelDir = b.modelDir;
    this.model = b.model;
    this.name = b.name;
    this.maxBatches = b.maxBatches;
    this.hooks = List.copyOf(b.hooks);
    this.listeners = List.copyOf(b.listeners);
    this.master = b.master;
    this.config = b.config;
    this.writeSummaries = b.writeSummaries;
    this.writeLedger = b.writeLedger;
    this.clock = b.clock;
    this.evalDir = evalDir(modelDir, name);
    this.ledger = EvaluationLedger.forModelDir(modelDir, name);
  }

  public static Builder builder(Path modelDir, EvalModel model) {
    return new Builder(modelDir, model);
  }

  /**
   * {@code <modelDir>/eval} for the empty name, else {@code <modelDir>/eval_<name>}.
   *
   * @throws IllegalArgumentException if the name is not usable in a directory name
   */
  public static Path evalDir(Path modelDir, String name) {
    Objects.requireNonNull(modelDir, "modelDir");
    if (name == null || name.isEmpty()) {
      return modelDir.resolve("eval");
    }
    checkName(name);
    return modelDir.resolve("eval_" + name);
  }

  private static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "an evaluation name must be letters, digits, '_', '.' or '-' (not first), but got '" + name + "'");
    }
  }

  /** The model directory whose checkpoints are evaluated. */
  public Path modelDir() {
    return modelDir;
  }

  /** Where summaries and the ledger go. */
  public Path evalDir() {
    return evalDir;
  }

  /** The evaluation's name ({@code ""} for the default). */
  public String name() {
    return name;
  }

  /** The ledger of this evaluation's directory. */
  public EvaluationLedger ledger() {
    return ledger;
  }

  /**
   * Evaluates {@code checkpoint}: restores it, runs the metrics, writes summaries and the ledger
   * line, tells the listeners. A listener's stop request is ignored here (see {@link
   * EvaluationHook}).
   *
   * @throws IllegalArgumentException if {@code checkpoint} is no checkpoint
   * @throws dev.tfmon.errors.TensorFlowStatusException TensorFlow's typed error if the restore or
   *     a batch fails (a variable the model builds is missing from the checkpoint: NOT_FOUND,
   *     naming it)
   */
  public EvalResult once(String checkpoint) {
    return evaluate(checkpoint).result();
  }

  /** A result and whether a listener asked training to stop. */
  record Outcome(EvalResult result, boolean stopRequested) {}

  Outcome evaluate(String checkpoint) {
    Objects.requireNonNull(checkpoint, "checkpoint");
    if (!Checkpoints.checkpointExists(checkpoint)) {
      throw new IllegalArgumentException("no checkpoint at " + checkpoint + " (no " + checkpoint + ".index)");
    }
    long start = System.nanoTime();
    LOG.info("Starting evaluation of {}", checkpoint);
    EvalRun.Values v = EvalRun.run(model, checkpoint, maxBatches, hooks, master, config);
    EvalResult result = new EvalResult(checkpoint, v.globalStep(), clock.instant().truncatedTo(ChronoUnit.MILLIS), v.metrics());
    LOG.info("Finished evaluation of {} at step {} ({} batches, {} ms): {}", checkpoint, v.globalStep(), v.batches(),
        (System.nanoTime() - start) / 1_000_000, result.scalars());
    if (writeSummaries) {
      writeSummaries(v);
    }
    if (writeLedger) {
      ledger.append(result);
    }
    boolean stop = false;
    for (EvaluationListener l : listeners) {
      stop |= l.afterEvaluation(result);
    }
    return new Outcome(result, stop);
  }

  /** Estimator's {@code _write_dict_to_summary}: one simple value per scalar metric. */
  private void writeSummaries(EvalRun.Values v) {
    Summary.Builder s = Summary.newBuilder();
    for (Map.Entry<String, MetricValue> e : v.metrics().entrySet()) {
      if (e.getValue().isScalar()) {
        s.addValue(Summary.Value.newBuilder().setTag(e.getKey()).setSimpleValue((float) e.getValue().scalar()));
      } else {
        LOG.debug("metric {} has shape {}: not written as a scalar summary", e.getKey(), e.getValue().shape());
      }
    }
    SummaryWriter writer = SummaryWriterCache.get(evalDir);
    if (s.getValueCount() > 0) {
      writer.addSummary(s.build(), v.globalStep());
    }
    if (v.summary() != null) {
      writer.addSummary(v.summary(), v.globalStep());
    }
    writer.flush();
  }

  /**
   * Evaluates every checkpoint {@code checkpoints} yields (a {@link CheckpointsIterator}, TF's
   * {@code evaluate_repeatedly}). A checkpoint deleted before its turn (rolling retention) is
   * skipped with a warning; any other failure ends the loop with its exception.
   *
   * @return the results, in order
   */
  public List<EvalResult> repeatedly(Iterable<String> checkpoints) {
    List<EvalResult> out = new ArrayList<>();
    for (String checkpoint : checkpoints) {
      try {
        out.add(once(checkpoint));
      } catch (RuntimeException e) {
        if (Checkpoints.checkpointExists(checkpoint)) {
          throw e;
        }
        LOG.warn("checkpoint {} was deleted before it could be evaluated: {}", checkpoint, e.getMessage());
      }
    }
    return out;
  }

  /**
   * The sidecar evaluator: every new checkpoint of the model directory, oldest first, skipping those
   * this evaluation's ledger already holds (so a restarted evaluator resumes), until the training
   * run has ended (its {@link CheckpointDirLock} released) and the last checkpoint is evaluated, or
   * no new checkpoint came for {@code timeout}. It takes no lock and never blocks training: it only
   * reads the directory.
   */
  public List<EvalResult> repeatedly(Duration timeout) {
    return repeatedly(sidecarCheckpoints(timeout, null));
  }

  /**
   * The sidecar evaluator of a training run that stops at global step {@code lastStep} (an
   * Estimator evaluator's {@code max_steps}), such as TF_CONFIG's {@code evaluator} task: as {@link
   * #repeatedly(Duration)}, but training counts as over only once a checkpoint at {@code lastStep}
   * or later exists (see {@link #sidecarCheckpoints}).
   */
  public List<EvalResult> repeatedly(Duration timeout, long lastStep) {
    return repeatedly(sidecarCheckpoints(timeout, lastStep));
  }

  /**
   * The checkpoints {@link #repeatedly(Duration)} evaluates. Without {@code lastStep}, training is
   * over when no live process holds the directory's lock and it holds a checkpoint. With {@code
   * lastStep}, only when, in addition, the newest checkpoint is at {@code lastStep} or later: an
   * evaluator that starts before the trainer has taken the lock (a resumed job, whose directory
   * already holds older checkpoints), or while the trainer restarts, keeps waiting; and the
   * trainer's final checkpoint, which on a cluster may lie a few steps past {@code lastStep},
   * comes before the lock is released, so it is evaluated too. The timeout ends the wait for a
   * trainer that never gets there.
   */
  public CheckpointsIterator sidecarCheckpoints(Duration timeout, Long lastStep) {
    Set<String> evaluated = new HashSet<>();
    ledger.read().forEach(r -> evaluated.add(normal(r.checkpoint())));
    return CheckpointsIterator.builder(modelDir)
        .timeout(timeout)
        .skip(p -> evaluated.contains(normal(p)))
        .until(lastStep == null ? () -> trainingOver(modelDir) : () -> trainingOver(modelDir, lastStep))
        .build();
  }

  private static String normal(String path) {
    return Path.of(path).toAbsolutePath().normalize().toString();
  }

  /** No live training run holds the directory and it holds a checkpoint. */
  static boolean trainingOver(Path modelDir) {
    return !CheckpointDirLock.isHeldByLiveProcess(modelDir) && Checkpoints.latestCheckpoint(modelDir).isPresent();
  }

  /** No live training run holds the directory and its newest checkpoint is at {@code lastStep} or later. */
  static boolean trainingOver(Path modelDir, long lastStep) {
    if (CheckpointDirLock.isHeldByLiveProcess(modelDir)) {
      return false;
    }
    Optional<String> newest = Checkpoints.latestCheckpoint(modelDir);
    return newest.isPresent() && CheckpointStep.of(newest.get()).orElse(Long.MIN_VALUE) >= lastStep;
  }

  /**
   * Settings of an {@link Evaluation}, checked at {@link #build()}.
   *
   * <pre>{@code
   * Evaluation e = Evaluation.builder(modelDir, model).name("holdout").maxBatches(50).build();
   * }</pre>
   */
  public static final class Builder {
    private final Path modelDir;
    private final EvalModel model;
    private String name = "";
    private Long maxBatches;
    private final List<SessionRunHook> hooks = new ArrayList<>();
    private final List<EvaluationListener> listeners = new ArrayList<>();
    private String master = "";
    private ConfigProto config;
    private boolean writeSummaries = true;
    private boolean writeLedger = true;
    private Clock clock = Clock.systemUTC();

    private Builder(Path modelDir, EvalModel model) {
      this.modelDir = Objects.requireNonNull(modelDir, "modelDir");
      this.model = Objects.requireNonNull(model, "model");
    }

    /** The evaluation's name: results go to {@code eval_<name>/} (default: {@code eval/}). */
    public Builder name(String evalName) {
      this.name = evalName == null ? "" : evalName;
      return this;
    }

    /** Stop after this many batches (TF's {@code num_evals}; default: until the input ends). */
    public Builder maxBatches(long batches) {
      this.maxBatches = batches;
      return this;
    }

    /** A hook for every evaluation session. */
    public Builder hook(SessionRunHook hook) {
      hooks.add(Objects.requireNonNull(hook, "hook"));
      return this;
    }

    public Builder hooks(List<? extends SessionRunHook> list) {
      list.forEach(this::hook);
      return this;
    }

    /** Told of every result, in the order added. */
    public Builder listener(EvaluationListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** The evaluation sessions' target (default {@code ""}: in process). */
    public Builder master(String target) {
      this.master = Objects.requireNonNull(target, "master");
      return this;
    }

    public Builder config(ConfigProto sessionConfig) {
      this.config = sessionConfig;
      return this;
    }

    /** Whether results are written as summaries into the evaluation directory (default true). */
    public Builder writeSummaries(boolean write) {
      this.writeSummaries = write;
      return this;
    }

    /** Whether results are appended to the ledger (default true). */
    public Builder writeLedger(boolean write) {
      this.writeLedger = write;
      return this;
    }

    /** The clock of results' wall times (default: the system clock). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** @throws IllegalArgumentException naming the value, for a bad name or batch count */
    public Evaluation build() {
      if (!name.isEmpty()) {
        checkName(name);
      }
      if (maxBatches != null && maxBatches < 1) {
        throw new IllegalArgumentException("expected maxBatches >= 1, but got " + maxBatches);
      }
      return new Evaluation(this);
    }
  }
}

package dev.tfmon.eval;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.SecondOrStepTimer;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.types.TInt64;

/**
 * Evaluates the model every N steps or seconds during training, in the training process, on a
 * held-out input (Keras's validation data, Estimator's {@code train_and_evaluate} in one process).
 * Each evaluation is an {@link Evaluation#once} of the checkpoint at the current global step: the
 * one the {@code CheckpointSaverHook} just wrote if there is one, else one this hook saves with the
 * training saver (the scaffold's, so that the rolling retention and the state file stay one).
 *
 * <pre>{@code
 * Evaluation evaluation = Evaluation.builder(modelDir, evalModel).listener(best).build();
 * MonitoredSession session = MonitoredTrainingSession.builder(graph).checkpointDir(modelDir)
 *     .scaffold(scaffold).saveCheckpointSteps(500)
 *     .hook(EvaluationHook.builder(evaluation).everySteps(500).scaffold(scaffold).build())
 *     .build();
 * }</pre>
 *
 * <p>Why restore from a checkpoint rather than copy the variables into the eval graph: the
 * evaluation then shares nothing with training but files (its own graph, session and variables,
 * built fresh each time: nothing the training session holds can change under it, and it cannot
 * change training); what was evaluated is a file on disk that best-checkpoint retention can keep
 * and the ledger can name; a resumed run evaluates exactly what it restores; and the in-process and
 * sidecar evaluations are one code path with equal results. The price is a save when no checkpoint
 * falls on the evaluation step (none when evaluations coincide with the checkpoint schedule) and
 * a restore per evaluation, both small next to running the eval input for most models; measured
 * in docs/BENCHMARKS.md.
 *
 * <p>Timing: the hook runs after the {@code MonitoredTrainingSession}'s default hooks (user hooks
 * come last), so a checkpoint saved at the same step is found and reused. In step mode, evaluations
 * fall every N steps after the last one recorded in the ledger (so a resumed run evaluates at the
 * same steps as one never interrupted); a due evaluation the crash left undone is made after the
 * first step, on the restored checkpoint. At {@code end} the final checkpoint is evaluated unless
 * it already was. A listener's stop request (early stopping) stops training at that step.
 */
public final class EvaluationHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluationHook.class);

  private final Evaluation evaluation;
  private final Long everySteps;
  private final Double everySecs;
  private final Scaffold scaffold;
  private final Saver explicitSaver;
  private final String basename;
  private final boolean evaluateAtEnd;
  private final Clock clock;
  private final List<Consumer<EvalResult>> observers;
  private SecondOrStepTimer timer;
  private Output<TInt64> stepRead;
  private SessionRunArgs args;
  private long lastEvaluatedStep = Long.MIN_VALUE;
  private String catchUp;
  private volatile EvalResult last;

  private EvaluationHook(Builder b) {
    this.evaluation = b.evaluation;
    this.everySteps = b.everySteps;
    this.everySecs = b.everySecs;
    this.scaffold = b.scaffold;
    this.explicitSaver = b.saver;
    this.basename = b.basename;
    this.evaluateAtEnd = b.evaluateAtEnd;
    this.clock = b.clock;
    this.observers = List.copyOf(b.observers);
  }

  public static Builder builder(Evaluation evaluation) {
    return new Builder(evaluation);
  }

  /** The last evaluation made by this hook, if any. */
  public Optional<EvalResult> lastResult() {
    return Optional.ofNullable(last);
  }

  @Override
  public void begin(BeginContext context) {
    Graph graph = context.graph();
    if (GlobalStep.get(graph).isEmpty()) {
      throw new IllegalStateException("EvaluationHook needs a global step; create it with GlobalStep.getOrCreate(graph)");
    }
    stepRead = GlobalStep.readTensor(graph);
    args = SessionRunArgs.fetch(stepRead);
  }

  @Override
  public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
    long restored = GlobalStep.value(session);
    timer = everySteps != null
        ? SecondOrStepTimer.builder().everySteps(everySteps).clock(clock).build()
        : SecondOrStepTimer.builder().everySecs(everySecs).clock(clock).build();
    catchUp = null;
    List<EvalResult> history = evaluation.ledger().readUpTo(restored);
    long anchor = history.isEmpty() ? restored : history.get(history.size() - 1).globalStep();
    lastEvaluatedStep = history.isEmpty() ? Long.MIN_VALUE : anchor;
    timer.updateLastTriggeredStep(anchor);
    if (everySteps != null && !history.isEmpty() && restored >= anchor + everySteps) {
      // the evaluation of the restored checkpoint was due but never made (a crash in between)
      Optional<String> latest = Checkpoints.latestCheckpoint(evaluation.modelDir());
      if (latest.isPresent() && CheckpointStep.of(latest.get()).orElse(-1) == restored) {
        catchUp = latest.get();
        timer.updateLastTriggeredStep(restored);
      }
    }
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return args;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    if (catchUp != null) {
      String path = catchUp;
      catchUp = null;
      LOG.info("evaluating {}, whose evaluation a restart left undone", path);
      run(context, path);
    }
    long estimate = values.getLong(stepRead) + 1;
    if (!timer.shouldTriggerForStep(estimate)) {
      return;
    }
    long step = GlobalStep.value(context.session());
    if (!timer.shouldTriggerForStep(step) || step == lastEvaluatedStep) {
      return;
    }
    timer.updateLastTriggeredStep(step);
    run(context, checkpointAt(context.session(), step));
  }

  private void run(SessionRunContext context, String checkpoint) {
    if (evaluate(checkpoint)) {
      context.requestStop();
    }
  }

  /** Evaluates {@code checkpoint}; true if a listener asked training to stop. */
  private boolean evaluate(String checkpoint) {
    Evaluation.Outcome outcome = evaluation.evaluate(checkpoint);
    last = outcome.result();
    lastEvaluatedStep = Math.max(lastEvaluatedStep, outcome.result().globalStep());
    observers.forEach(o -> o.accept(outcome.result()));
    return outcome.stopRequested();
  }

  @Override
  public void end(RunnableSession session) {
    if (!evaluateAtEnd || session == null || timer == null) {
      return;
    }
    long step = GlobalStep.value(session);
    if (step == lastEvaluatedStep) {
      return;
    }
    evaluate(checkpointAt(session, step));
  }

  /** The newest checkpoint if it is at {@code step}, else a new one saved with the training saver. */
  private String checkpointAt(RunnableSession session, long step) {
    Optional<String> latest = Checkpoints.latestCheckpoint(evaluation.modelDir());
    if (latest.isPresent()) {
      OptionalLong at = CheckpointStep.of(latest.get());
      if (at.isPresent() && at.getAsLong() == step) {
        return latest.get();
      }
    }
    Saver saver = explicitSaver != null ? explicitSaver : scaffold.saver();
    if (saver == null) {
      throw new IllegalStateException("EvaluationHook has no saver to write the checkpoint at step " + step
          + ": the scaffold's saver is null because the graph has no variable");
    }
    return saver.save(session, evaluation.modelDir().resolve(basename).toString(), step);
  }

  /**
   * Settings of an {@link EvaluationHook}, checked at {@link #build()}.
   *
   * <pre>{@code
   * EvaluationHook.builder(evaluation).everySecs(600).scaffold(scaffold).build();
   * }</pre>
   */
  public static final class Builder {
    private final Evaluation evaluation;
    private Long everySteps;
    private Double everySecs;
    private Scaffold scaffold;
    private Saver saver;
    private String basename = "model.ckpt";
    private boolean evaluateAtEnd = true;
    private Clock clock = Clock.systemUTC();
    private final List<Consumer<EvalResult>> observers = new ArrayList<>();

    private Builder(Evaluation evaluation) {
      this.evaluation = Objects.requireNonNull(evaluation, "evaluation");
    }

    /** Evaluate every this many global steps. */
    public Builder everySteps(long steps) {
      this.everySteps = steps;
      return this;
    }

    /** Evaluate every this many seconds. */
    public Builder everySecs(double secs) {
      this.everySecs = secs;
      return this;
    }

    /** The training scaffold, whose saver writes a checkpoint when none is at the step. */
    public Builder scaffold(Scaffold s) {
      this.scaffold = Objects.requireNonNull(s, "scaffold");
      return this;
    }

    /** The training saver (instead of {@link #scaffold}). */
    public Builder saver(Saver s) {
      this.saver = Objects.requireNonNull(s, "saver");
      return this;
    }

    /** The file name prefix of checkpoints this hook saves (default {@code model.ckpt}). */
    public Builder checkpointBasename(String name) {
      this.basename = name;
      return this;
    }

    /** Whether the final checkpoint is evaluated at the end if it was not yet (default true). */
    public Builder evaluateAtEnd(boolean evaluate) {
      this.evaluateAtEnd = evaluate;
      return this;
    }

    /** Called with each result on the training thread (a progress display, for instance). */
    public Builder observer(Consumer<EvalResult> observer) {
      observers.add(Objects.requireNonNull(observer, "observer"));
      return this;
    }

    /** The clock of {@link #everySecs} (default: the system clock). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the values: not exactly one of everySteps and
     *     everySecs, a frequency not positive, neither or both of scaffold and saver, an empty
     *     basename
     */
    public EvaluationHook build() {
      if ((everySteps == null) == (everySecs == null)) {
        throw new IllegalArgumentException("EvaluationHook needs exactly one of everySteps and everySecs, but got everySteps="
            + everySteps + ", everySecs=" + everySecs);
      }
      if (everySteps != null && everySteps < 1) {
        throw new IllegalArgumentException("expected everySteps >= 1, but got " + everySteps);
      }
      if (everySecs != null && !(everySecs > 0)) {
        throw new IllegalArgumentException("expected everySecs > 0, but got " + everySecs);
      }
      if ((scaffold == null) == (saver == null)) {
        throw new IllegalArgumentException("EvaluationHook needs the training saver to write checkpoints between"
            + " the saver hook's: give scaffold(...) (the one given to the session) or saver(...), not both");
      }
      if (basename == null || basename.isEmpty()) {
        throw new IllegalArgumentException("expected a non-empty checkpoint basename, but got '" + basename + "'");
      }
      return new EvaluationHook(this);
    }
  }
}

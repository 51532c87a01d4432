package dev.tfmon.eval;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.VariableChecks;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.TInt64;

/**
 * Stops training when a metric has not improved by more than {@code minDelta} for {@code
 * patience} evaluations: Keras's {@code EarlyStopping}, TF 1.x's {@code stop_if_no_decrease_hook}
 * (the rule is {@link EarlyStopping}). It watches one of:
 *
 * <ul>
 *   <li>evaluations in this process: add it as a listener of the {@link Evaluation} an {@link
 *       EvaluationHook} runs, and training stops at the step of the evaluation that fired the rule;
 *   <li>evaluations of another process (a sidecar evaluator): {@link Builder#watchLedger} reads new
 *       lines of the ledger every so often, as the Estimator hook reads the evaluator's event files;
 *   <li>a training tensor ({@link Builder#trainingMetric}), read every N steps.
 * </ul>
 *
 * <pre>{@code
 * EarlyStoppingHook stop = EarlyStoppingHook.builder(MetricGoal.min("loss"))
 *     .patience(5).minDelta(1e-3).ledger(evaluation.ledger()).build();
 * Evaluation evaluation = Evaluation.builder(modelDir, model).listener(stop).build();
 * mts.hook(EvaluationHook.builder(evaluation).everySteps(500).scaffold(scaffold).build()).hook(stop);
 * }</pre>
 *
 * <p>Beyond Keras, which forgets its best value on a restart: with a {@link Builder#ledger} the
 * state is rebuilt at every session creation from the ledger's evaluations up to the restored
 * global step, so a run resumed after a crash stops at the same step as one never interrupted
 * (unless the crash fell after the deciding evaluation was recorded and before the stop: then the
 * resumed run stops after its first step). On a cluster, {@link Builder#stopFlag} sets a {@link
 * StopFlag} so that every worker's {@link StopFlagHook} stops too. {@link
 * Builder#restoreBestAtEnd} writes the best checkpoint's weights as the final checkpoint when the
 * rule fires (Keras's {@code restore_best_weights}).
 */
public final class EarlyStoppingHook implements SessionRunHook, EvaluationListener {
  private static final Logger LOG = LoggerFactory.getLogger(EarlyStoppingHook.class);

  private final EarlyStopping rule;
  private final EvaluationLedger ledger;
  private final Duration watchEvery;
  private final Operand<?> trainingMetric;
  private final long trainingEverySteps;
  private final StopFlag stopFlag;
  private final Scaffold restoreScaffold;
  private final Path restoreDir;
  private final Clock clock;
  private final Map<Long, String> checkpointAtStep = new HashMap<>();
  private Output<TInt64> stepRead;
  private SessionRunArgs args;
  private Saver restoreSaver;
  private long lastWatch;
  private long lastTrainingObservation = Long.MIN_VALUE;
  private boolean flagSet;
  private boolean stopped;

  private EarlyStoppingHook(Builder b) {
    this.rule = new EarlyStopping(b.goal, b.patience, b.minDelta, b.minStep);
    this.ledger = b.ledger;
    this.watchEvery = b.watchEvery;
    this.trainingMetric = b.trainingMetric;
    this.trainingEverySteps = b.trainingEverySteps;
    this.stopFlag = b.stopFlag;
    this.restoreScaffold = b.restoreScaffold;
    this.restoreDir = b.restoreDir;
    this.clock = b.clock;
  }

  public static Builder builder(MetricGoal goal) {
    return new Builder(goal);
  }

  /** The decision, once the rule fired. */
  public synchronized Optional<EarlyStopping.Decision> decision() {
    return rule.decision();
  }

  /** The rule's state (best value and step, last observation). */
  public EarlyStopping rule() {
    return rule;
  }

  @Override
  public void begin(BeginContext context) {
    Graph graph = context.graph();
    if (GlobalStep.get(graph).isEmpty()) {
      throw new IllegalStateException("EarlyStoppingHook needs a global step; create it with GlobalStep.getOrCreate(graph)");
    }
    stepRead = GlobalStep.readTensor(graph);
    args = trainingMetric == null ? SessionRunArgs.fetch(stepRead) : SessionRunArgs.fetch(stepRead, trainingMetric);
    if (restoreScaffold != null && restoreSaver == null) {
      restoreSaver = Saver.builder(graph).variableNames(modelVariables(graph)).name("restore_best").build();
    }
  }

  /** Every saved variable but the global step and the stop flag: the weights to take back. */
  private static List<String> modelVariables(Graph graph) {
    Set<String> local = new HashSet<>();
    GraphCollections.of(graph).variables(CollectionKeys.LOCAL_VARIABLES).forEach(v -> local.add(v.name()));
    List<String> names = new ArrayList<>();
    for (Output<?> v : VariableChecks.allVariables(graph)) {
      String n = v.op().name();
      if (!local.contains(n) && !n.equals(GlobalStep.NAME) && !n.equals(StopFlag.NAME)) {
        names.add(n);
      }
    }
    return names;
  }

  @Override
  public synchronized void afterCreateSession(RunnableSession session, Coordinator coordinator) {
    lastWatch = clock.millis();
    if (ledger == null) {
      return;
    }
    long restored = GlobalStep.value(session);
    rule.reset();
    checkpointAtStep.clear();
    int replayed = 0;
    for (EvalResult r : ledger.readUpTo(restored)) {
      if (observe(r)) {
        replayed++;
      }
    }
    if (replayed > 0) {
      LOG.info("early stopping on {}: rebuilt from {} evaluation(s) of {} up to step {}: best {} at step {}",
          rule.goal(), replayed, ledger.file(), restored, rule.best().orElse(Double.NaN), rule.bestStep());
    }
    rule.decision().ifPresent(d -> LOG.info("early stopping had already decided before the restart: {}", d));
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return args;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    long step = values.getLong(stepRead) + 1;
    synchronized (this) {
      if (trainingMetric != null && step >= lastTrainingObservation + trainingEverySteps) {
        lastTrainingObservation = step;
        rule.observe(step, values.getDouble(trainingMetric));
      }
      if (watchEvery != null && ledger != null && clock.millis() - lastWatch >= watchEvery.toMillis()) {
        lastWatch = clock.millis();
        for (EvalResult r : ledger.read()) {
          if (r.globalStep() > rule.lastStep()) {
            observe(r);
          }
        }
      }
      if (rule.decision().isEmpty()) {
        return;
      }
    }
    if (!stopped) {
      LOG.info("early stopping: {}", rule.decision().get());
      stopped = true;
    }
    if (stopFlag != null && !flagSet) {
      context.session().runner().addTarget(stopFlag.set()).runTargets();
      flagSet = true;
      LOG.info("set {} so that every worker stops", StopFlag.NAME);
    }
    context.requestStop();
  }

  /** Takes an evaluation from this process's {@link Evaluation}; true once the rule has fired. */
  @Override
  public synchronized boolean afterEvaluation(EvalResult result) {
    if (result.globalStep() > rule.lastStep()) {
      observe(result);
    }
    return rule.decision().isPresent();
  }

  private boolean observe(EvalResult r) {
    Double value = r.scalars().get(rule.goal().metric());
    if (value == null) {
      LOG.warn("early stopping watches '{}', but the evaluation of {} has only {}", rule.goal().metric(),
          r.checkpoint(), r.scalars().keySet());
      return false;
    }
    checkpointAtStep.put(r.globalStep(), r.checkpoint());
    rule.observe(r.globalStep(), value);
    return true;
  }

  @Override
  public void end(RunnableSession session) {
    if (restoreSaver == null || session == null || rule.decision().isEmpty()) {
      return;
    }
    String best = checkpointAtStep.get(rule.bestStep());
    if (best != null && !Checkpoints.checkpointExists(best)) {
      String kept = restoreDir.resolve("best").resolve(Path.of(best).getFileName()).toString();
      best = Checkpoints.checkpointExists(kept) ? kept : null;
    }
    if (best == null) {
      LOG.warn("cannot restore the best weights (step {}): their checkpoint is gone", rule.bestStep());
      return;
    }
    long step = GlobalStep.value(session);
    restoreSaver.restore(session, best);
    String written = restoreScaffold.saver().save(session, restoreDir.resolve("model.ckpt").toString(), step);
    LOG.info("restored the weights of {} (best {} {}, step {}) and saved them as the final checkpoint {}", best,
        rule.goal().metric(), rule.best().orElse(Double.NaN), rule.bestStep(), written);
  }

  /**
   * Settings of an {@link EarlyStoppingHook}, checked at {@link #build()}.
   *
   * <pre>{@code
   * EarlyStoppingHook.builder(MetricGoal.max("accuracy")).patience(3).ledger(evaluation.ledger()).build();
   * }</pre>
   */
  public static final class Builder {
    private final MetricGoal goal;
    private int patience = 1;
    private double minDelta;
    private long minStep;
    private EvaluationLedger ledger;
    private Duration watchEvery;
    private Operand<?> trainingMetric;
    private long trainingEverySteps;
    private StopFlag stopFlag;
    private Scaffold restoreScaffold;
    private Path restoreDir;
    private Clock clock = Clock.systemUTC();

    private Builder(MetricGoal goal) {
      this.goal = Objects.requireNonNull(goal, "goal");
    }

    /** Evaluations without improvement before stopping (default 1). */
    public Builder patience(int evaluations) {
      this.patience = evaluations;
      return this;
    }

    /** The least change that counts as an improvement (default 0). */
    public Builder minDelta(double delta) {
      this.minDelta = delta;
      return this;
    }

    /** Never stop before this global step (TF's {@code min_steps}; default 0). */
    public Builder minStep(long step) {
      this.minStep = step;
      return this;
    }

    /** The ledger to rebuild the state from at each session creation (and to watch). */
    public Builder ledger(EvaluationLedger l) {
      this.ledger = Objects.requireNonNull(l, "ledger");
      return this;
    }

    /** Read new ledger lines (another process's evaluations) this often. Needs {@link #ledger}. */
    public Builder watchLedger(Duration every) {
      this.watchEvery = Objects.requireNonNull(every, "every");
      return this;
    }

    /** Watch a float scalar of the training graph, read every {@code everySteps} steps. */
    public Builder trainingMetric(Operand<?> tensor, long everySteps) {
      this.trainingMetric = Objects.requireNonNull(tensor, "tensor");
      this.trainingEverySteps = everySteps;
      return this;
    }

    /** Set this flag when the rule fires, so that every worker of the cluster stops. */
    public Builder stopFlag(StopFlag flag) {
      this.stopFlag = Objects.requireNonNull(flag, "flag");
      return this;
    }

    /**
     * When the rule fires, restore the weights of the best evaluated checkpoint (looked for where it
     * was evaluated, then in {@code checkpointDir/best/}) and save them, at the final global step,
     * as {@code checkpointDir/model.ckpt-<step>} with the scaffold's saver (the training saver).
     */
    public Builder restoreBestAtEnd(Scaffold scaffold, Path checkpointDir) {
      this.restoreScaffold = Objects.requireNonNull(scaffold, "scaffold");
      this.restoreDir = Objects.requireNonNull(checkpointDir, "checkpointDir");
      return this;
    }

    /** The clock of {@link #watchLedger} (default: the system clock). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the setting and value: patience below 1, a negative
     *     minDelta, watchLedger without a ledger, a training metric read every 0 steps, a training
     *     metric together with a ledger, or restoreBestAtEnd on a training metric
     */
    public EarlyStoppingHook build() {
      new EarlyStopping(goal, patience, minDelta, minStep); // checks patience and minDelta
      if (watchEvery != null && ledger == null) {
        throw new IllegalArgumentException("watchLedger(" + watchEvery + ") needs a ledger to watch: set ledger(...)");
      }
      if (trainingMetric != null) {
        if (trainingEverySteps < 1) {
          throw new IllegalArgumentException("expected a training metric read every >= 1 steps, but got " + trainingEverySteps);
        }
        if (ledger != null) {
          throw new IllegalArgumentException("a training metric and a ledger of evaluations exclude each other; watch one");
        }
        if (restoreScaffold != null) {
          throw new IllegalArgumentException("restoreBestAtEnd needs evaluated checkpoints, not a training metric");
        }
      }
      return new EarlyStoppingHook(this);
    }
  }
}

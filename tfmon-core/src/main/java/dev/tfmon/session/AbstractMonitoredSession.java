package dev.tfmon.session;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.coord.QueueRunner;
import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.op.Op;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TInt64;

/**
 * What {@link MonitoredSession} and {@link SingularMonitoredSession} share (everything but
 * recovery and the raw-session accessor). See {@link MonitoredSession}.
 *
 * <p>A training session that initializes or restores the model, calls hooks around every run, owns
 * the coordinator of background threads and recreates the session when it is lost (ABORTED,
 * UNAVAILABLE): TensorFlow 1.x's {@code tf.train.MonitoredSession}, as a stack of layers
 * ({@link RecoverableSession} over {@link CoordinatedSession} over {@link HookedSession} over the
 * raw session).
 *
 * <pre>{@code
 * try (MonitoredSession session = MonitoredSession.builder(graph).hooks(hooks).build()) {
 *   session.runUntilStopped(s -> s.run(trainOp));   // ends cleanly on OUT_OF_RANGE or a stop request
 * }
 * }</pre>
 *
 * <p>Creation: every hook's {@code begin}, then the Scaffold is finalized and the session created
 * (initialized or restored), queue runners started, then every hook's {@code afterCreateSession}.
 *
 * <p>{@link #close()}: hooks' {@code end} (skipped when a run or step failed with an error other
 * than the end of the input), then the coordinator stops and joins its threads within the grace
 * period, then the session is closed. Unlike TF 1.x, a second {@code close()} does nothing (Java's
 * {@code Closeable} convention) instead of failing with "Session is already closed".
 *
 * <p>The end of the input (OUT_OF_RANGE) is a normal end: {@link #runUntilStopped} runs a loop
 * that needs no try/catch for it. To run without hooks but with recovery, use {@link
 * #runWithoutHooks} (raw runs of {@link StepContext#session()} have no recovery).
 */
public abstract class AbstractMonitoredSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AbstractMonitoredSession.class);

  private final Graph graph;
  private final List<SessionRunHook> hooks;
  private final HookCosts costs;
  private final SessionCreator creator;
  private final Duration stopGracePeriod;
  private final double hookCostWarningShare;
  private final boolean graphWasFinalized;
  private final Set<SessionRunHook> costExempt;
  private final List<AutoCloseable> closeWith;
  private final RecoveryPolicy recoveryPolicy;
  private final RecoveryLayer chain;
  private volatile Coordinator coordinator;
  private volatile boolean closed;
  private volatile boolean inputEnded;
  private volatile Throwable failure;

  protected AbstractMonitoredSession(Builder<?> b, boolean recoverable) {
    this.creator = b.creator;
    this.graph = creator.graph();
    this.hooks = List.copyOf(b.hooks);
    this.costs = new HookCosts(hooks);
    this.stopGracePeriod = b.stopGracePeriod;
    this.recoveryPolicy = b.recoveryPolicy;
    this.hookCostWarningShare = b.hookCostWarningShare;
    this.costExempt = Collections.newSetFromMap(new IdentityHashMap<>());
    this.costExempt.addAll(b.costExempt);
    this.closeWith = List.copyOf(b.closeWith);
    this.graphWasFinalized = GraphFinalization.isFinalized(graph);
    try {
      BeginContext beginContext = new BeginContext(graph);
      for (SessionRunHook hook : hooks) {
        hook.begin(beginContext);
      }
      // The step's read tensor is made now, while the graph can change: the recovery layer reads
      // it around each recovery, and GlobalStep.value needs it once the session runs.
      Output<TInt64> stepRead = null;
      if (!GraphFinalization.isFinalized(graph) && GlobalStep.get(graph).isPresent()) {
        stepRead = GlobalStep.readTensor(graph);
      }
      chain = recoverable
          ? new RecoverableSession(graph, this::createCoordinatedSession, b.recoveryPolicy,
              b.recoveryListener, stepRead, b.sleeper, b.nanoClock)
          : new PassThroughRecovery(this::createCoordinatedSession);
      GraphFinalization.finalizeGraph(graph);
    } catch (RuntimeException e) {
      if (!graphWasFinalized) {
        GraphFinalization.unfinalize(graph);
      }
      closeResources(closeWith, e);
      throw e;
    }
  }

  /** Closes what the builder tied to this session's life (e.g. a checkpoint directory lock). */
  private static void closeResources(List<AutoCloseable> closeWith, RuntimeException pending) {
    for (AutoCloseable c : closeWith) {
      try {
        c.close();
      } catch (Exception e) {
        if (pending != null) {
          pending.addSuppressed(e);
        } else {
          LOG.warn("closing {} failed: {}", c, e.toString());
        }
      }
    }
  }

  private SessionLayer createCoordinatedSession() {
    NativeSession raw = creator.createSession();
    Coordinator coord = new Coordinator(Set.of());
    try {
      if (!GraphCollections.of(graph).get(CollectionKeys.QUEUE_RUNNERS).isEmpty()) {
        QueueRunner.startQueueRunners(raw, coord, graph);
      }
      for (SessionRunHook hook : hooks) {
        hook.afterCreateSession(raw.runOnly(), coord);
      }
    } catch (RuntimeException e) {
      coord.requestStop();
      try {
        coord.join(List.of(), stopGracePeriod, true);
      } catch (RuntimeException joinFailure) {
        e.addSuppressed(joinFailure);
      }
      raw.close();
      throw e;
    }
    coordinator = coord;
    return new CoordinatedSession(
        new HookedSession(new RawSessionLayer(raw), hooks, costs), coord, stopGracePeriod, recoveryPolicy);
  }

  /** The graph this session runs. */
  public Graph graph() {
    return graph;
  }

  /** The coordinator of the current session's threads (a new one after each recovery). */
  public Coordinator coordinator() {
    return coordinator;
  }

  /**
   * Runs once with hooks, recovering if the session is lost; the caller owns the returned tensors.
   *
   * @throws IllegalStateException if this session is closed
   */
  public RunResult run(SessionRunArgs args) {
    checkOpen();
    try {
      return chain.run(args);
    } catch (RuntimeException e) {
      noteFailure(e);
      throw e;
    }
  }

  /**
   * Runs once with hooks for the run's effect alone (feeds and targets, such as a training step on
   * a fed batch): nothing comes back, so there is no result to close.
   *
   * <pre>{@code
   * session.runTargets(SessionRunArgs.builder().feed(x, batch).target(train).build());
   * }</pre>
   *
   * @throws IllegalArgumentException naming them, if {@code args} fetch tensors or ask for the run's
   *     metadata (use {@link #run(SessionRunArgs)} and close its result)
   * @throws IllegalStateException if this session is closed
   */
  public void runTargets(SessionRunArgs args) {
    requireNothingBack(args);
    try (RunResult nothing = run(args)) {
      // no fetch: the result holds no tensor
    }
  }

  /** Runs {@code targets} once with hooks. */
  public void run(Op... targets) {
    runTargets(SessionRunArgs.target(targets));
  }

  /**
   * Runs {@code targets} (such as the {@code Operation} that {@code TrainOps.minimize} returns)
   * once with hooks.
   */
  public void run(Operation... targets) {
    SessionRunArgs.Builder args = SessionRunArgs.builder();
    for (Operation t : targets) {
      args.target(t);
    }
    runTargets(args.build());
  }

  private static void requireNothingBack(SessionRunArgs args) {
    if (!args.fetches().isEmpty()) {
      throw new IllegalArgumentException(
          "runTargets returns nothing, but the args fetch "
              + args.fetchNames()
              + ": use run(args) and close its result");
    }
    if (args.wantMetadata()) {
      throw new IllegalArgumentException(
          "runTargets returns nothing, but the args ask for the run's metadata: use run(args) and"
              + " close its result");
    }
  }

  /** Runs once with hooks, fetching {@code fetches}. */
  public RunResult run(Operand<?>... fetches) {
    return run(SessionRunArgs.fetch(fetches));
  }

  /** A fluent builder for one run, in the spirit of TF Java's {@code Session.Runner}. */
  public MonitoredRunner runner() {
    return new MonitoredRunner();
  }

  /**
   * Runs once on the raw session without calling any hook, but still recovering from a lost
   * session (the run is retried on the new one). TensorFlow 1.x has no such call (users asked for
   * it in tensorflow#15158 and #17952).
   */
  public RunResult runWithoutHooks(SessionRunArgs args) {
    checkOpen();
    try {
      return chain.runWithoutHooks(args);
    } catch (RuntimeException e) {
      noteFailure(e);
      throw e;
    }
  }

  /**
   * Runs a step function with a {@link StepContext}: raw runs through {@code session()}, hooked
   * runs through {@code runWithHooks}. If the session is lost inside it, the session is recreated
   * and the function is called again from the start (with the new raw session). A stop request
   * from the step ends it with {@link StopRequestedException}, which {@link #runUntilStopped}
   * treats as a clean end.
   */
  public <R> R runStepFn(StepFn<R> stepFn) {
    checkOpen();
    Objects.requireNonNull(stepFn, "stepFn");
    try {
      return chain.runStepFn(stepFn, null);
    } catch (RuntimeException e) {
      noteFailure(e);
      throw e;
    }
  }

  /** One iteration of {@link #runUntilStopped}. */
  @FunctionalInterface
  public interface StepBody {
    void step(AbstractMonitoredSession session) throws Exception;
  }

  /**
   * The training loop: calls {@code body} until {@link #shouldStop()}. The end of the input
   * (OUT_OF_RANGE) and a step's stop request end it normally; any other error propagates.
   *
   * @return the number of iterations that completed
   */
  public long runUntilStopped(StepBody body) {
    long done = 0;
    try {
      while (!shouldStop()) {
        body.step(this);
        done++;
      }
    } catch (OutOfRangeException | StopRequestedException cleanEnd) {
      inputEnded = true;
      LOG.info("training loop ended after {} steps: {}", done, cleanEnd.getMessage());
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      StepFunctionException wrapped = new StepFunctionException(e);
      noteFailure(wrapped);
      throw wrapped;
    }
    return done;
  }

  /**
   * True when the loop should end: a hook requested a stop, the coordinator was stopped, the input
   * ended, or this session is closed. False before the first run, so at least one step runs.
   */
  public boolean shouldStop() {
    if (closed || inputEnded) {
      return true;
    }
    return chain.shouldStop();
  }

  /** True once closed. */
  public boolean isClosed() {
    return closed;
  }

  /** What each hook's {@code beforeRun}/{@code afterRun} has cost so far. */
  public HookCosts.Report hookCosts() {
    return costs.report();
  }

  /** How many times the session was recreated (0 for a non-recoverable session). */
  public int recoveries() {
    return chain.recoveries();
  }

  /** The layer stack beneath (for {@link SingularMonitoredSession}). */
  SessionLayer chain() {
    return chain;
  }

  private void noteFailure(RuntimeException e) {
    if (e instanceof OutOfRangeException || e instanceof StopRequestedException) {
      inputEnded = true;
    } else if (failure == null) {
      failure = e;
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this monitored session is closed");
    }
  }

  /**
   * Closes the session: hooks' {@code end} (unless a run failed with an error other than the end
   * of the input), the coordinator's threads stopped and joined, the raw session closed. An
   * exception a background thread reported is thrown here. Later calls do nothing.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (failure == null) {
        NativeSession raw = currentRawSession();
        RunnableSession lent = raw == null ? null : raw.runOnly();
        for (SessionRunHook hook : hooks) {
          hook.end(lent);
        }
      } else {
        LOG.info("closing after a failure ({}); hooks' end() is skipped", failure.toString());
      }
    } finally {
      try {
        chain.close();
      } finally {
        if (!graphWasFinalized) {
          GraphFinalization.unfinalize(graph);
        }
        reportHookCosts();
        closeResources(closeWith, null);
      }
    }
  }

  private NativeSession currentRawSession() {
    try {
      return chain.rawSession();
    } catch (IllegalStateException noSession) {
      return null;
    }
  }

  private void reportHookCosts() {
    HookCosts.Report report = costs.report();
    if (report.runs() == 0 || hooks.isEmpty()) {
      return;
    }
    List<String> parts = new ArrayList<>();
    report.hooks().forEach(h -> parts.add(String.format("%s %.1f%%", h.name(), 100 * h.share())));
    LOG.info("hook time over {} runs: {}", report.runs(), String.join(", ", parts));
    // One line, naming only the hooks the caller added: the default hooks' cost is not theirs to fix.
    List<String> costly = new ArrayList<>();
    for (int i = 0; i < hooks.size(); i++) {
      HookCosts.HookCost h = report.hooks().get(i);
      if (!costExempt.contains(hooks.get(i)) && h.share() > hookCostWarningShare) {
        costly.add(String.format("%s %.1f%%", h.name(), 100 * h.share()));
      }
    }
    if (!costly.isEmpty()) {
      LOG.warn(
          "hook{} {} took more than {}% of step time over {} runs (the threshold is the builder's"
              + " hookCostWarningShare)",
          costly.size() == 1 ? "" : "s",
          String.join(", ", costly),
          String.format("%.0f", 100 * hookCostWarningShare),
          report.runs());
    }
  }

  /** Fluent single run; see {@link MonitoredSession#runner()}. */
  public final class MonitoredRunner {
    private final SessionRunArgs.Builder args = SessionRunArgs.builder();
    private boolean withoutHooks;

    private MonitoredRunner() {}

    public MonitoredRunner feed(Operand<?> operand, Tensor value) {
      args.feed(operand, value);
      return this;
    }

    public MonitoredRunner fetch(Operand<?> operand) {
      args.fetch(operand);
      return this;
    }

    public MonitoredRunner addTarget(Operation operation) {
      args.target(operation);
      return this;
    }

    public MonitoredRunner addTarget(Op op) {
      args.target(op);
      return this;
    }

    public MonitoredRunner options(RunOptions options) {
      args.options(options);
      return this;
    }

    public MonitoredRunner withMetadata() {
      args.withMetadata();
      return this;
    }

    /** Skips the hooks for this run (recovery still applies). */
    public MonitoredRunner withoutHooks() {
      this.withoutHooks = true;
      return this;
    }

    public RunResult run() {
      SessionRunArgs built = args.build();
      return withoutHooks ? runWithoutHooks(built) : AbstractMonitoredSession.this.run(built);
    }

    /**
     * Runs for the effect alone (feeds and targets); nothing comes back, so there is nothing to
     * close.
     *
     * @throws IllegalArgumentException if something was fetched or the metadata asked for
     */
    public void runTargets() {
      SessionRunArgs built = args.build();
      requireNothingBack(built);
      try (RunResult nothing =
          withoutHooks ? runWithoutHooks(built) : AbstractMonitoredSession.this.run(built)) {
        // no fetch: the result holds no tensor
      }
    }
  }

  /**
   * Builds a monitored session: the settings of {@link MonitoredSessionSettings} and the session
   * creator.
   */
  public static final class Builder<S extends AbstractMonitoredSession>
      extends MonitoredSessionSettings<Builder<S>> {
    private SessionCreator creator;
    private final Function<Builder<S>, S> factory;
    private final List<SessionRunHook> costExempt = new ArrayList<>();
    private final List<AutoCloseable> closeWith = new ArrayList<>();

    Builder(SessionCreator creator, Function<Builder<S>, S> factory) {
      this.creator = creator;
      this.factory = factory;
    }

    /** The creator of raw sessions (default: a chief over a default Scaffold). */
    public Builder<S> sessionCreator(SessionCreator sessionCreator) {
      this.creator = Objects.requireNonNull(sessionCreator, "sessionCreator");
      return this;
    }

    /** Hooks left out of the hook-cost warning (a training session's default hooks). */
    Builder<S> exemptFromCostWarning(List<? extends SessionRunHook> list) {
      costExempt.addAll(list);
      return this;
    }

    /** Closed when the session closes, or when building it fails. */
    Builder<S> closeWith(AutoCloseable resource) {
      closeWith.add(Objects.requireNonNull(resource, "resource"));
      return this;
    }

    /**
     * Checks the settings, then builds the session: every hook's {@code begin}, then the session is
     * created, initialized or restored.
     *
     * @throws IllegalArgumentException naming the setting and the value if one is out of range
     */
    public S build() {
      try {
        validate();
      } catch (RuntimeException e) {
        closeResources(closeWith, e);
        throw e;
      }
      return factory.apply(this);
    }
  }
}

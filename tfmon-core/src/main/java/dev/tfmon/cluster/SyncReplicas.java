package dev.tfmon.cluster;

import dev.tfmon.coord.QueueRunner;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.graph.VariableChecks;
import dev.tfmon.hook.SessionRunHook;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.op.Op;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * Synchronous training of replicas, as TF 1.x's {@code tf.train.SyncReplicasOptimizer}: every
 * worker pushes its gradients into accumulators on the parameter servers instead of applying them;
 * the chief applies their average once {@code replicasToAggregate} of them have arrived, increments
 * the global step and hands out tokens that let the workers start their next step.
 *
 * <pre>{@code
 * SyncReplicas sync = SyncReplicas.wrap(new GradientDescent(graph, 0.1f), 2, 2);
 * Operation train = sync.minimize(loss, "train_op");          // run by every worker
 * MonitoredSession session = MonitoredTrainingSession.builder(graph)
 *     .master(server.target()).isChief(chief)
 *     .hook(sync.hook(chief))                                  // tokens, queue runner, local step
 *     ...
 * }</pre>
 *
 * <p>What {@link #minimize} builds, with TensorFlow's own ops (TF 1.x's design):
 *
 * <ul>
 *   <li>one {@code ConditionalAccumulator} per trained variable, on that variable's device, shared
 *       by every worker (a shared name). A worker's gradient is tagged with its local step; one
 *       older than the accumulator's step is stale and dropped. Taking the average needs {@code
 *       replicasToAggregate} gradients and advances the accumulator's step;
 *   <li>a local variable {@code <name>/local_step} on this worker, set from the global step when a
 *       session starts and each time the worker takes a token;
 *   <li>a token queue (a FIFOQueue of int64 on the global step's device). The train op pushes the
 *       gradients, then takes a token: that is the barrier between steps;
 *   <li>the sync op, which the chief's queue runner runs again and again: take the averaged
 *       gradients, apply them with the wrapped optimizer, increment the global step, then enqueue
 *       {@code max(totalReplicas, replicasToAggregate)} tokens carrying the new step.
 * </ul>
 *
 * <p>Backup workers: with more replicas than gradients to aggregate, each step uses the first
 * {@code replicasToAggregate} gradients and the late ones are dropped as stale, so a slow or
 * stalled worker does not hold training up. A worker that has a token takes the next one if it is
 * first, so a step never waits for one particular worker.
 *
 * <p>One deliberate difference: TF 1.x sets the local step to the value the token carries (the
 * step of the update that enqueued it); tfmon reads the global step once the token is taken. They
 * are the same while every worker steps, but with a stalled backup worker spare tokens of older
 * steps pile up in the queue; TF 1.x workers taking them push stale gradients, and two live
 * workers can both end up waiting for a token that no update will bring. With the step read at
 * the token, a worker's next gradient is stale only if an update happened meanwhile.
 *
 * <p>As in TF 1.x, the chief starts every session with {@code replicasToAggregate} tokens of the
 * current step (see {@link #hook(boolean, int)}), which keeps training going after a restart of the
 * chief (workers blocked on an empty queue whose gradients were already taken get going again);
 * the price is that the first steps after a start may be computed from a stale local step and
 * dropped.
 *
 * <p>The local step is a local variable: the Scaffold's default local init op initializes it; a
 * Scaffold given a local init op of its own must include its initializer (collection {@code
 * local_variables}), or the session never becomes ready.
 *
 * <p>TensorFlow Java produces dense gradients only (its C++ gradient of a gather is dense), so
 * there is no sparse accumulator. Gradients are averaged, so the learning rate is that of one
 * replica's batch.
 */
public final class SyncReplicas {
  private static final Logger LOG = LoggerFactory.getLogger(SyncReplicas.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9.][A-Za-z0-9_.\\-]*");

  /** The default name scope of the ops and of the local step: {@code sync_replicas}. */
  public static final String DEFAULT_NAME = "sync_replicas";

  private final Optimizer optimizer;
  private final int replicasToAggregate;
  private final int totalReplicas;
  private final String name;
  private SyncReplicasOps ops;

  private SyncReplicas(Builder b) {
    this.optimizer = b.optimizer;
    this.replicasToAggregate = b.replicasToAggregate;
    this.totalReplicas = b.totalReplicas;
    this.name = b.name;
  }

  /**
   * Wraps {@code optimizer} to aggregate {@code replicasToAggregate} gradients per step among
   * {@code totalReplicas} workers (more workers than gradients: backup workers).
   *
   * @throws IllegalArgumentException if a count is below 1
   */
  public static SyncReplicas wrap(Optimizer optimizer, int replicasToAggregate, int totalReplicas) {
    return builder(optimizer)
        .replicasToAggregate(replicasToAggregate)
        .totalReplicas(totalReplicas)
        .build();
  }

  /** A builder around {@code optimizer}, the one that applies the averaged gradients. */
  public static Builder builder(Optimizer optimizer) {
    return new Builder(optimizer);
  }

  /** How many gradients make one update. */
  public int replicasToAggregate() {
    return replicasToAggregate;
  }

  /** How many workers train. */
  public int totalReplicas() {
    return totalReplicas;
  }

  /** The tokens enqueued after each update: {@code max(totalReplicas, replicasToAggregate)}. */
  public int tokensPerStep() {
    return Math.max(totalReplicas, replicasToAggregate);
  }

  /** The name scope of the ops built here. */
  public String name() {
    return name;
  }

  /**
   * Builds the synchronous training of {@code loss} over the trainable variables (see the class
   * comment) and returns the op each worker runs, named {@code trainOpName}: push the gradients,
   * then wait for a token and set the local step from it. It joins collection {@code train_op}.
   * The graph's global step (created if missing: on a cluster create it first with {@link
   * ReplicaDeviceSetter#globalStep}) is incremented by the chief's queue runner, not by this op.
   *
   * @throws IllegalStateException if called a second time
   * @throws IllegalArgumentException for the reasons of {@link TrainOps#computeGradients}
   */
  public synchronized Operation minimize(Operand<?> loss, String trainOpName) {
    Objects.requireNonNull(loss, "loss");
    Objects.requireNonNull(trainOpName, "trainOpName");
    if (ops != null) {
      throw new IllegalStateException(
          "SyncReplicas '" + name + "' already built its train op '" + ops.trainOp().name() + "'");
    }
    Graph graph = (Graph) loss.env();
    GlobalStep.getOrCreate(graph);
    GraphVariable step = GlobalStep.get(graph).orElseThrow();
    String stepDevice = ((GraphOperation) step.variable().op()).device();
    String localDevice = ((GraphOperation) loss.asOutput().op()).device();
    SyncOpBuilder b = new SyncOpBuilder(graph, name);
    List<Optimizer.GradAndVar<? extends TType>> gradients = TrainOps.computeGradients(loss);

    GraphVariable localStep = b.localStep(localDevice);
    GraphCollections.of(graph).add(CollectionKeys.LOCAL_VARIABLES, localStep);

    List<Operation> pushes = new ArrayList<>();
    List<Operation> setSteps = new ArrayList<>();
    List<Optimizer.GradAndVar<? extends TType>> averaged = new ArrayList<>();
    for (Optimizer.GradAndVar<? extends TType> pair : gradients) {
      Output<?> variable = pair.getVariable();
      String device = ((GraphOperation) variable.op()).device();
      Output<?> gradient = pair.getGradient().asOutput();
      DataType dtype = gradient.dataType();
      String scope = name + "/" + variable.op().name();
      Output<TString> accumulator = b.accumulator(scope, dtype, variable.shape(), device);
      pushes.add(b.push(scope, accumulator, localStep.snapshot(), gradient, device));
      averaged.add(pair(b.take(scope, accumulator, replicasToAggregate, dtype, device), variable));
      setSteps.add(b.setAccumulatorStep(scope, accumulator, step.snapshot(), device));
    }

    // The chief's sync op: average, apply, increment, then hand out tokens of the new step.
    Op update = TrainOps.applyGradients(optimizer, averaged, name + "_apply");
    Operation increment =
        GlobalStep.incrementAfter(graph, 1, name + "/increment_global_step", List.of(update.op()));
    Output<?> tokenQueue = b.tokenQueue(stepDevice);
    Operation syncOp =
        b.enqueueTokens(name + "/sync_op", tokenQueue, step.variable(), tokensPerStep(), increment, stepDevice);

    // Every worker: push, then wait for a token; the global step read once the token is taken is
    // the local step of its next gradients.
    Operation token = b.dequeueToken(tokenQueue, pushes, stepDevice).op();
    Output<?> stepNow = b.read(name + "/step_at_token", step.variable(), token, stepDevice);
    Operation train = b.assign(trainOpName, localStep.variable(), stepNow, localDevice);
    GraphCollections.of(graph).add(CollectionKeys.TRAIN_OP, train);

    Operation localStepInit =
        b.assign(name + "/local_step_init", localStep.variable(), step.snapshot(), localDevice);
    List<Operation> chiefInit = new ArrayList<>(setSteps);
    chiefInit.add(0, localStepInit);
    Operation chiefInitOp = b.group(name + "/chief_init", chiefInit);

    QueueRunner chiefRunner =
        new QueueRunner(
            tokenQueue.op().name(),
            List.of(syncOp),
            // The token queue lives on a ps and outlives sessions: a runner must never close it,
            // or no worker could take a token after the chief's next restart.
            b.group(name + "/queue_runner_close", List.of()),
            b.group(name + "/queue_runner_cancel", List.of()));
    ops =
        new SyncReplicasOps(
            graph,
            step,
            localStep,
            tokenQueue,
            train,
            localStepInit,
            chiefInitOp,
            VariableChecks.reportUninitialized(graph, globalVariables(graph)),
            chiefRunner);
    LOG.info(
        "synchronous replicas '{}': {} gradients per step from {} replicas, {} variables",
        name, replicasToAggregate, totalReplicas, gradients.size());
    return train;
  }

  /**
   * The hook that {@code MonitoredTrainingSession} runs, TF 1.x's {@code make_session_run_hook}:
   * on the chief it fills the token queue with {@code replicasToAggregate} tokens at each session
   * start and runs the queue runner that applies the averaged gradients; on every worker it sets the
   * local step from the global step.
   */
  public SessionRunHook hook(boolean isChief) {
    return hook(isChief, replicasToAggregate);
  }

  /**
   * {@link #hook(boolean)} with the chief's initial tokens chosen: {@code numTokens} (0 for none)
   * at each session start. With fewer workers than gradients to aggregate, workers must compute
   * several steps per update, so at least {@code replicasToAggregate - totalReplicas} are needed.
   *
   * @throws IllegalArgumentException if {@code numTokens} is negative or too few
   */
  public SessionRunHook hook(boolean isChief, int numTokens) {
    int needed = replicasToAggregate - totalReplicas;
    if (numTokens < 0 || numTokens < needed) {
      throw new IllegalArgumentException(
          "numTokens "
              + numTokens
              + " is too few to finish the first step: "
              + replicasToAggregate
              + " gradients to aggregate from "
              + totalReplicas
              + " replicas need at least "
              + Math.max(0, needed));
    }
    return new SyncReplicasHook(this, isChief, numTokens);
  }

  /** The ops {@link #minimize} built, for the hook. */
  synchronized SyncReplicasOps ops() {
    return ops;
  }

  /** The local step variable, once {@link #minimize} has run (for tests and diagnostics). */
  public synchronized Output<?> localStep() {
    if (ops == null) {
      throw new IllegalStateException("SyncReplicas '" + name + "' has no local step before minimize");
    }
    return ops.localStep().snapshot();
  }

  private static List<Output<?>> globalVariables(Graph graph) {
    Set<String> local = new HashSet<>();
    GraphCollections.of(graph).variables(CollectionKeys.LOCAL_VARIABLES).forEach(v -> local.add(v.name()));
    List<Output<?>> global = new ArrayList<>();
    for (Output<?> v : VariableChecks.allVariables(graph)) {
      if (!local.contains(v.op().name())) {
        global.add(v);
      }
    }
    return global;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Optimizer.GradAndVar<? extends TType> pair(Output<?> gradient, Output<?> variable) {
    return new Optimizer.GradAndVar(gradient, variable);
  }

  @Override
  public String toString() {
    return "SyncReplicas[" + name + ", " + replicasToAggregate + " of " + totalReplicas + ", " + optimizer + "]";
  }

  /** Builds a {@link SyncReplicas}; checks every setting at {@link #build()}. */
  public static final class Builder {
    private final Optimizer optimizer;
    private int replicasToAggregate = 1;
    private Integer totalReplicas;
    private String name = DEFAULT_NAME;

    private Builder(Optimizer optimizer) {
      this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    }

    /** Gradients per update (default 1). */
    public Builder replicasToAggregate(int n) {
      this.replicasToAggregate = n;
      return this;
    }

    /** Workers that train (default: {@code replicasToAggregate}). */
    public Builder totalReplicas(int n) {
      this.totalReplicas = n;
      return this;
    }

    /**
     * The name scope of the ops, the local step and the shared names of the accumulators and the
     * token queue (default {@value #DEFAULT_NAME}). Every worker must use the same one.
     */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the setting, if a count is below 1 or the name is
     *     not a valid op name
     */
    public SyncReplicas build() {
      if (replicasToAggregate < 1) {
        throw new IllegalArgumentException(
            "replicasToAggregate must be at least 1, but got " + replicasToAggregate);
      }
      if (totalReplicas == null) {
        totalReplicas = replicasToAggregate;
      }
      if (totalReplicas < 1) {
        throw new IllegalArgumentException("totalReplicas must be at least 1, but got " + totalReplicas);
      }
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("name must be an op name without '/', but got \"" + name + "\"");
      }
      return new SyncReplicas(this);
    }
  }
}

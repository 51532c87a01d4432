package dev.tfmon.coord;

import dev.tfmon.errors.StatusCode;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunnableSession;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.QueueRunnerDef;
import org.tensorflow.proto.error.Code;

/**
 * Keeps a TensorFlow queue filled from background threads, as TensorFlow 1.x's {@code
 * tf.train.QueueRunner}: one thread per enqueue op runs it again and again; when every thread has
 * seen the queue-closed error (OUT_OF_RANGE by default, for example from an exhausted input), the
 * last one runs the close op, so that consumers drain the queue and then get OUT_OF_RANGE. With a
 * {@link Coordinator}, any other failure stops the coordinator, and a monitor thread runs the cancel
 * op when the coordinator stops, which releases enqueues blocked on a full queue.
 *
 * <pre>{@code
 * FifoQueue queue = tf.io.fifoQueue(List.of(TInt64.class), FifoQueue.capacity(10L));
 * QueueEnqueue enqueue = tf.io.queueEnqueue(queue, List.of(tf.countUpTo(counter, 100L)));
 * QueueRunner runner = QueueRunner.builder(queue).addEnqueueOp(enqueue).build();
 * QueueRunner.addQueueRunner(graph, runner);            // stored as a QueueRunnerDef
 * Coordinator coord = new Coordinator();
 * List<Thread> threads = QueueRunner.startQueueRunners(session, coord, graph);
 * ... dequeue until OutOfRangeException ...
 * coord.requestStop();
 * coord.join(threads);
 * }</pre>
 *
 * <p>A runner holds operation names only (as its {@link QueueRunnerDef} does), never a graph, so it
 * can be shared by several sessions of the same graph; it tracks its live threads per session.
 * Thread-safe.
 */
public final class QueueRunner {
  private static final Logger LOG = LoggerFactory.getLogger(QueueRunner.class);

  /** Python's default: only OUT_OF_RANGE means "the queue was closed". */
  public static final Set<StatusCode> DEFAULT_QUEUE_CLOSED_EXCEPTION_TYPES =
      Collections.unmodifiableSet(EnumSet.of(StatusCode.OUT_OF_RANGE));

  // Runners added with addQueueRunner, per graph: the collection holds their QueueRunnerDefs (so
  // that it exports to a MetaGraph), this keeps the objects, whose per-session run counts stop a
  // second startQueueRunners on the same session from starting duplicate threads. The values hold
  // names only, so the weak keys can be collected.
  private static final Map<Graph, List<QueueRunner>> REGISTERED = new WeakHashMap<>();

  private final String queueName;
  private final List<String> enqueueOpNames;
  private final String closeOpName;
  private final String cancelOpName;
  private final Set<StatusCode> queueClosedExceptionTypes;
  private final EnqueueThreads threads;

  /**
   * A runner for the queue named {@code queueName}, with the default queue-closed exception type
   * (OUT_OF_RANGE).
   *
   * @param closeOp run when the last enqueue thread ends; null creates {@code queue.close()}
   * @param cancelOp run when the coordinator stops; null creates {@code queue.close()} with {@code
   *     cancel_pending_enqueues=true}
   */
  public QueueRunner(
      String queueName, List<Operation> enqueueOps, Operation closeOp, Operation cancelOp) {
    this(queueName, enqueueOps, closeOp, cancelOp, DEFAULT_QUEUE_CLOSED_EXCEPTION_TYPES);
  }

  /**
   * As {@link #QueueRunner(String, List, Operation, Operation)}, with the status codes that mean
   * "the queue was closed" and end an enqueue thread normally.
   *
   * @throws IllegalArgumentException if there is no enqueue op, the graph has no operation {@code
   *     queueName}, the ops belong to different graphs, or the codes are empty or contain OK
   */
  public QueueRunner(
      String queueName,
      List<Operation> enqueueOps,
      Operation closeOp,
      Operation cancelOp,
      Set<StatusCode> queueClosedExceptionTypes) {
    this(checked(queueName, enqueueOps, closeOp, cancelOp, queueClosedExceptionTypes));
  }

  private QueueRunner(QueueRunnerDef def) {
    this(def.getQueueName(), def.getEnqueueOpNameList(), def.getCloseOpName(), def.getCancelOpName(),
        codesOf(def));
  }

  private QueueRunner(
      String queueName,
      List<String> enqueueOpNames,
      String closeOpName,
      String cancelOpName,
      Set<StatusCode> queueClosedExceptionTypes) {
    this.queueName = queueName;
    this.enqueueOpNames = List.copyOf(enqueueOpNames);
    this.closeOpName = closeOpName;
    this.cancelOpName = cancelOpName;
    this.queueClosedExceptionTypes = inOrder(queueClosedExceptionTypes);
    this.threads =
        new EnqueueThreads(
            queueName, this.enqueueOpNames, closeOpName, cancelOpName, this.queueClosedExceptionTypes);
  }

  /** The constructor's arguments checked, as the proto they describe (default ops created). */
  private static QueueRunnerDef checked(
      String queueName, List<Operation> enqueueOps, Operation closeOp, Operation cancelOp, Set<StatusCode> codes) {
    Objects.requireNonNull(queueName, "queueName");
    Objects.requireNonNull(enqueueOps, "enqueueOps");
    if (enqueueOps.isEmpty()) {
      throw noEnqueueOp(queueName);
    }
    Graph graph = (Graph) enqueueOps.get(0).env();
    List<String> names = new ArrayList<>();
    for (Operation op : enqueueOps) {
      names.add(requireInGraph(graph, Objects.requireNonNull(op, "enqueue op")).name());
    }
    Output<?> queue = GraphNames.operation(graph, queueName).output(0);
    return toProto(
        queueName,
        names,
        closeOp != null ? requireInGraph(graph, closeOp).name() : createClose(queue, false),
        cancelOp != null ? requireInGraph(graph, cancelOp).name() : createClose(queue, true),
        checkCodes(codes));
  }

  /** A builder for a runner of {@code queue} (the handle of a queue op such as FIFOQueueV2). */
  public static Builder builder(Operand<?> queue) {
    return new Builder(queue);
  }

  /**
   * Re-creates a runner from its proto, with {@code importScope} (or {@code ""}) before every name,
   * as when the graph was imported under that scope. A proto without queue-closed codes means
   * OUT_OF_RANGE, as older TensorFlow wrote them.
   *
   * @throws IllegalArgumentException naming the missing operation, if {@code graph} lacks one of
   *     the named operations, or if the proto has no queue name or no enqueue op
   */
  public static QueueRunner fromProto(Graph graph, QueueRunnerDef def, String importScope) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(def, "def");
    String prefix = importScope == null || importScope.isEmpty() ? "" : importScope + "/";
    if (def.getQueueName().isEmpty() || def.getEnqueueOpNameCount() == 0) {
      throw new IllegalArgumentException(
          "a QueueRunnerDef needs a queue and at least one enqueue op, but has queue '"
              + def.getQueueName()
              + "' and enqueue ops "
              + def.getEnqueueOpNameList());
    }
    QueueRunnerDef.Builder scoped =
        def.toBuilder()
            .setQueueName(prefix + def.getQueueName())
            .setCloseOpName(prefix + def.getCloseOpName())
            .setCancelOpName(prefix + def.getCancelOpName())
            .clearEnqueueOpName();
    def.getEnqueueOpNameList().forEach(n -> scoped.addEnqueueOpName(prefix + n));
    QueueRunner runner = new QueueRunner(scoped.build());
    GraphNames.operation(graph, runner.queueName);
    runner.enqueueOpNames.forEach(n -> GraphNames.operation(graph, n));
    GraphNames.operation(graph, runner.closeOpName);
    GraphNames.operation(graph, runner.cancelOpName);
    return runner;
  }

  /** The proto's queue-closed codes in its order; none means OUT_OF_RANGE, as older TF wrote. */
  private static Set<StatusCode> codesOf(QueueRunnerDef def) {
    Set<StatusCode> codes = new LinkedHashSet<>();
    for (Code code : def.getQueueClosedExceptionTypesList()) {
      if (code == Code.UNRECOGNIZED) {
        throw new IllegalArgumentException(
            "the QueueRunnerDef of queue '"
                + def.getQueueName()
                + "' has a queue-closed code TensorFlow does not define: "
                + def.getQueueClosedExceptionTypesValueList());
      }
      codes.add(StatusCode.fromValue(code.getNumber()));
    }
    return codes.isEmpty() ? DEFAULT_QUEUE_CLOSED_EXCEPTION_TYPES : codes;
  }

  /**
   * This runner as a {@link QueueRunnerDef}, as Python's {@code to_proto()} writes it: the
   * queue-closed codes in the order given.
   */
  public QueueRunnerDef toProto() {
    return toProto(queueName, enqueueOpNames, closeOpName, cancelOpName, queueClosedExceptionTypes);
  }

  private static QueueRunnerDef toProto(
      String queue, List<String> enqueue, String close, String cancel, Set<StatusCode> codes) {
    QueueRunnerDef.Builder b =
        QueueRunnerDef.newBuilder()
            .setQueueName(queue)
            .addAllEnqueueOpName(enqueue)
            .setCloseOpName(close)
            .setCancelOpName(cancel);
    for (StatusCode code : codes) {
      b.addQueueClosedExceptionTypes(Code.forNumber(code.value()));
    }
    return b.build();
  }

  /** The queue's name, which is also this runner's name (for example {@code scope/queue}). */
  public String name() {
    return queueName;
  }

  /** The names of the enqueue ops ({@code "op"} for a target, {@code "op:0"} for a tensor). */
  public List<String> enqueueOpNames() {
    return enqueueOpNames;
  }

  /** The name of the op run when the last enqueue thread has ended. */
  public String closeOpName() {
    return closeOpName;
  }

  /** The name of the op run when the coordinator stops. */
  public String cancelOpName() {
    return cancelOpName;
  }

  /** The status codes that end an enqueue thread normally, in the order given. */
  public Set<StatusCode> queueClosedExceptionTypes() {
    return queueClosedExceptionTypes;
  }

  /**
   * The failures of the enqueue threads since the last {@link #createThreads} that returned
   * threads (excluding the queue-closed ones, and those after the coordinator stopped).
   */
  public List<Throwable> exceptionsRaised() {
    return threads.exceptionsRaised();
  }

  /**
   * Creates the threads that run the enqueue ops in {@code session}: one per enqueue op, named
   * {@code QueueRunnerThread-<queue>-<op>}, plus, with a coordinator, {@code
   * QueueRunnerThread-<queue>-close_on_stop}, which runs the cancel op once the coordinator stops.
   * All are registered with the coordinator. {@code session} may be a hook's borrowed session
   * (a hook that runs a queue of its own, as the synchronous-replicas hook does on the chief).
   *
   * <p>Without a coordinator, a failing enqueue thread logs its failure, records it in {@link
   * #exceptionsRaised()} and ends (it does not rethrow it into the thread's uncaught-exception
   * handler). With one, the failure is also reported with {@link Coordinator#requestStop(Throwable)}.
   * Failures after the coordinator stopped (such as the CANCELLED of an enqueue released by the
   * cancel op) end the thread quietly.
   *
   * @param coord the coordinator, or null
   * @return the threads, or an empty list if this runner still has live threads for {@code session}
   */
  public List<Thread> createThreads(
      RunnableSession session, Coordinator coord, boolean daemon, boolean start) {
    return threads.create(session, coord, daemon, start);
  }

  /**
   * Adds {@code runner} to the graph's {@link CollectionKeys#QUEUE_RUNNERS} collection, where {@link
   * #startQueueRunners} finds it.
   */
  public static void addQueueRunner(Graph graph, QueueRunner runner) {
    addQueueRunner(graph, runner, CollectionKeys.QUEUE_RUNNERS);
  }

  /**
   * Adds {@code runner} to the graph's collection {@code collection}, as a {@link QueueRunnerDef}
   * (so that it exports to a MetaGraph), remembering the object itself for {@link
   * #fromCollection}.
   */
  public static void addQueueRunner(Graph graph, QueueRunner runner, String collection) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(runner, "runner");
    Objects.requireNonNull(collection, "collection");
    synchronized (REGISTERED) {
      GraphCollections.of(graph).add(collection, runner.toProto());
      REGISTERED.computeIfAbsent(graph, g -> new ArrayList<>()).add(runner);
    }
  }

  /**
   * The runners of the graph's collection {@code collection} whose names start with {@code scope}
   * (null or {@code ""}: all), in collection order: the objects given to {@link #addQueueRunner},
   * or, for protos imported from a MetaGraph, runners re-created from them once and then reused.
   *
   * @throws IllegalArgumentException if a proto names operations the graph lacks
   */
  public static List<QueueRunner> fromCollection(Graph graph, String collection, String scope) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(collection, "collection");
    List<QueueRunner> out = new ArrayList<>();
    synchronized (REGISTERED) {
      List<QueueRunner> known = REGISTERED.computeIfAbsent(graph, g -> new ArrayList<>());
      List<QueueRunner> unmatched = new ArrayList<>(known);
      for (QueueRunnerDef def : GraphCollections.of(graph).get(collection, QueueRunnerDef.class)) {
        QueueRunner match = null;
        for (QueueRunner candidate : unmatched) {
          if (candidate.toProto().equals(def)) {
            match = candidate;
            break;
          }
        }
        if (match != null) {
          unmatched.remove(match);
        } else {
          match = fromProto(graph, def, "");
          known.add(match);
        }
        if (scope == null || match.queueName.startsWith(scope)) {
          out.add(match);
        }
      }
    }
    return out;
  }

  /**
   * Starts, as daemon threads, the runners of {@code graph}'s {@link CollectionKeys#QUEUE_RUNNERS}
   * collection on {@code session} (see {@link #createThreads}).
   *
   * @param coord the coordinator, or null
   * @param graph the session's graph (checked)
   * @return the threads of every runner (empty for runners already running on {@code session})
   */
  public static List<Thread> startQueueRunners(
      RunnableSession session, Coordinator coord, Graph graph) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(graph, "graph");
    if (session.graph() != graph) {
      throw new IllegalArgumentException(
          "the session runs another graph than the one whose queue runners should start");
    }
    return startQueueRunners(session, coord, true, true, CollectionKeys.QUEUE_RUNNERS);
  }

  /**
   * Creates the threads of every runner of the session graph's collection {@code collection}, with
   * {@link #createThreads}. An empty collection is logged as a warning, as in TensorFlow.
   */
  public static List<Thread> startQueueRunners(
      RunnableSession session, Coordinator coord, boolean daemon, boolean start, String collection) {
    Objects.requireNonNull(session, "session");
    List<QueueRunner> runners = fromCollection(session.graph(), collection, null);
    if (runners.isEmpty()) {
      LOG.warn(
          "collection '{}' holds no queue runner: no queue-runner thread started", collection);
    }
    List<Thread> threads = new ArrayList<>();
    for (QueueRunner runner : runners) {
      threads.addAll(runner.createThreads(session, coord, daemon, start));
    }
    return threads;
  }

  @Override
  public String toString() {
    return "QueueRunner[" + queueName + ", enqueue " + enqueueOpNames + "]";
  }

  private static Operation requireInGraph(Graph graph, Operation op) {
    if (op.env() != graph) {
      throw new IllegalArgumentException(
          "the ops of a queue runner must be in the queue's graph, but '" + op.name() + "' is in another");
    }
    return op;
  }

  private static IllegalArgumentException noEnqueueOp(String queue) {
    return new IllegalArgumentException(
        "the queue runner of queue '" + queue + "' has no enqueue op: add at least one");
  }

  private static Set<StatusCode> checkCodes(Collection<StatusCode> codes) {
    Objects.requireNonNull(codes, "queueClosedExceptionTypes");
    if (codes.isEmpty() || codes.contains(StatusCode.OK)) {
      throw new IllegalArgumentException(
          "expected a non-empty set of error codes as queue-closed exception types, but got "
              + codes);
    }
    return new LinkedHashSet<>(codes);
  }

  /** {@code codes} unmodifiable, in their iteration order (an EnumSet's order only if given one). */
  private static Set<StatusCode> inOrder(Set<StatusCode> codes) {
    return Collections.unmodifiableSet(new LinkedHashSet<>(checkCodes(codes)));
  }

  /** Creates {@code <queue>_Close} (uniquified) closing {@code queue}, as Python's queue.close(). */
  private static String createClose(Output<?> queue, boolean cancelPendingEnqueues) {
    Graph graph = (Graph) queue.env();
    String base = queue.op().name() + "_Close";
    String name = base;
    for (int i = 1; graph.operation(name) != null; i++) {
      name = base + "_" + i;
    }
    graph
        .opBuilder("QueueCloseV2", name, Ops.create(graph).scope())
        .addInput(queue)
        .setAttr("cancel_pending_enqueues", cancelPendingEnqueues)
        .build();
    return name;
  }

  /**
   * Builds a {@link QueueRunner} from the queue and its ops.
   *
   * <pre>{@code
   * QueueRunner runner = QueueRunner.builder(queue)
   *     .addEnqueueOp(enqueue)                       // runs the op as a target
   *     .addEnqueueTensor(tf.countUpTo(counter, 3L)) // fetches a tensor: named "CountUpTo:0"
   *     .queueClosedExceptionTypes(Set.of(StatusCode.OUT_OF_RANGE))
   *     .build();                                    // default close and cancel ops
   * }</pre>
   */
  public static final class Builder {
    private final Output<?> queue;
    private final List<Object> enqueue = new ArrayList<>();
    private Operation closeOp;
    private Operation cancelOp;
    private Collection<StatusCode> codes = DEFAULT_QUEUE_CLOSED_EXCEPTION_TYPES;

    private Builder(Operand<?> queue) {
      this.queue = Objects.requireNonNull(queue, "queue").asOutput();
    }

    /** Runs {@code op} (as a target) in a loop, in a thread of its own. */
    public Builder addEnqueueOp(Op op) {
      return addEnqueueOp(Objects.requireNonNull(op, "op").op());
    }

    /** Runs {@code op} (as a target) in a loop, in a thread of its own. */
    public Builder addEnqueueOp(Operation op) {
      enqueue.add(Objects.requireNonNull(op, "op"));
      return this;
    }

    /** Fetches {@code tensor} (and discards it) in a loop, in a thread of its own. */
    public Builder addEnqueueTensor(Operand<?> tensor) {
      enqueue.add(Objects.requireNonNull(tensor, "tensor").asOutput());
      return this;
    }

    /**
     * Runs the op or fetches the tensor named {@code name} in a loop; the name is resolved in the
     * session's graph when the thread starts, and a missing one is that thread's failure.
     */
    public Builder addEnqueueOpName(String name) {
      enqueue.add(Objects.requireNonNull(name, "name"));
      return this;
    }

    /** The op run when the last enqueue thread ends (default: a new queue close op). */
    public Builder closeOp(Op op) {
      closeOp = Objects.requireNonNull(op, "closeOp").op();
      return this;
    }

    /** The op run when the coordinator stops (default: a new close op cancelling enqueues). */
    public Builder cancelOp(Op op) {
      cancelOp = Objects.requireNonNull(op, "cancelOp").op();
      return this;
    }

    /**
     * The status codes that end an enqueue thread normally (default: OUT_OF_RANGE), kept in the
     * set's iteration order (use a {@code LinkedHashSet}, or {@link
     * #queueClosedExceptionTypes(StatusCode...)}).
     */
    public Builder queueClosedExceptionTypes(Set<StatusCode> codes) {
      this.codes = Objects.requireNonNull(codes, "queueClosedExceptionTypes");
      return this;
    }

    /** The status codes that end an enqueue thread normally, in this order. */
    public Builder queueClosedExceptionTypes(StatusCode... codes) {
      this.codes = List.of(codes);
      return this;
    }

    /**
     * The runner; creates the default close and cancel ops that were not given.
     *
     * @throws IllegalArgumentException naming the value if no enqueue op was added, an op is in
     *     another graph than the queue, or the queue-closed codes are empty or contain OK
     */
    public QueueRunner build() {
      Graph graph = (Graph) queue.env();
      String queueName = queue.op().name();
      if (enqueue.isEmpty()) {
        throw noEnqueueOp(queueName);
      }
      Set<StatusCode> closedCodes = checkCodes(codes);
      List<String> names = new ArrayList<>();
      for (Object e : enqueue) {
        if (e instanceof Operation op) {
          names.add(requireInGraph(graph, op).name());
        } else if (e instanceof Output<?> tensor) {
          requireInGraph(graph, tensor.op());
          names.add(GraphNames.tensorName(tensor));
        } else {
          names.add((String) e);
        }
      }
      String close = closeOp != null ? requireInGraph(graph, closeOp).name() : createClose(queue, false);
      String cancel = cancelOp != null ? requireInGraph(graph, cancelOp).name() : createClose(queue, true);
      return new QueueRunner(queueName, names, close, cancel, closedCodes);
    }
  }
}

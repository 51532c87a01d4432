package dev.tfmon.scaffold;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.graph.VariableChecks;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.NativeSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TString;

/**
 * Everything needed to initialize or restore a model and to check that it is ready: TensorFlow
 * 1.x's {@code tf.train.Scaffold}. Pieces given to the builder are used as they are; {@link
 * #finalizeScaffold()} creates the missing ones the way TensorFlow does (and lists them in the
 * graph's collections):
 *
 * <ul>
 *   <li>init op: a group of the initializers of every global variable (TF Java's registered
 *       initializers and those of collection {@code variables});
 *   <li>ready op: a 1-D string tensor naming every uninitialized variable (empty when ready);
 *   <li>ready-for-local-init op: the same over global variables only;
 *   <li>local init op: the initializers of collection {@code local_variables} and {@code
 *       table_initializer};
 *   <li>summary op: all summaries of collection {@code summaries} merged (none if it is empty);
 *   <li>saver: the one in collection {@code savers}, else a sharded saver over all variables.
 * </ul>
 *
 * <pre>{@code
 * Scaffold scaffold = Scaffold.builder(graph).initFn((s, session) -> warmStart(session)).build();
 * }</pre>
 */
public final class Scaffold {
  private static final Logger LOG = LoggerFactory.getLogger(Scaffold.class);

  private final Graph graph;
  private Operation initOp;
  private final Map<Output<?>, Tensor> initFeeds;
  private final BiConsumer<Scaffold, NativeSession> initFn;
  private Output<TString> readyOp;
  private Output<TString> readyForLocalInitOp;
  private Operation localInitOp;
  private final Map<Output<?>, Tensor> localInitFeeds;
  private Output<TString> summaryOp;
  private Saver saver;
  private boolean finalized;

  private Scaffold(Builder b) {
    this.graph = b.graph;
    Scaffold from = b.copyFrom;
    this.initOp = pick(b.initOp, from == null ? null : from.initOp);
    this.initFeeds = pick(b.initFeeds, from == null ? null : from.initFeeds);
    this.initFn = pick(b.initFn, from == null ? null : from.initFn);
    this.readyOp = pick(b.readyOp, from == null ? null : from.readyOp);
    this.readyForLocalInitOp =
        pick(b.readyForLocalInitOp, from == null ? null : from.readyForLocalInitOp);
    this.localInitOp = pick(b.localInitOp, from == null ? null : from.localInitOp);
    this.localInitFeeds = pick(b.localInitFeeds, from == null ? null : from.localInitFeeds);
    this.summaryOp = pick(b.summaryOp, from == null ? null : from.summaryOp);
    this.saver = pick(b.saver, from == null ? null : from.saver);
  }

  private static <T> T pick(T passed, T inherited) {
    return passed != null ? passed : inherited;
  }

  /** A scaffold with every piece left to its default. */
  public static Scaffold of(Graph graph) {
    return builder(graph).build();
  }

  public static Builder builder(Graph graph) {
    return new Builder(graph);
  }

  /** The graph this scaffold is for. */
  public Graph graph() {
    return graph;
  }

  /**
   * Creates the missing pieces (in TensorFlow's order: init op, ready op, ready-for-local-init op,
   * local init op, summary op, saver), then finalizes the graph. A second call creates nothing.
   *
   * @throws IllegalStateException if a default must be created on a finalized graph, or a
   *     collection holds several candidates for one piece
   */
  public synchronized Scaffold finalizeScaffold() {
    if (finalized) {
      return this;
    }
    GraphCollections collections = GraphCollections.of(graph);
    if (initOp == null) {
      initOp = getOrDefault("initOp", CollectionKeys.INIT_OP, Operation.class, this::defaultInitOp);
    }
    if (readyOp == null) {
      readyOp =
          getOrDefaultOutput("readyOp", CollectionKeys.READY_OP, () -> uninitialized("readyOp", true));
    }
    if (readyForLocalInitOp == null) {
      readyForLocalInitOp =
          getOrDefaultOutput(
              "readyForLocalInitOp",
              CollectionKeys.READY_FOR_LOCAL_INIT_OP,
              () -> uninitialized("readyForLocalInitOp", false));
    }
    if (localInitOp == null) {
      localInitOp =
          getOrDefault(
              "localInitOp", CollectionKeys.LOCAL_INIT_OP, Operation.class, this::defaultLocalInitOp);
    }
    if (summaryOp == null) {
      summaryOp = getOrDefaultOutput("summaryOp", CollectionKeys.SUMMARY_OP, this::mergeAllSummaries);
    }
    if (saver == null) {
      saver = defaultSaver(collections);
    }
    GraphFinalization.finalizeGraph(graph);
    LOG.info("the Scaffold finalized the graph");
    finalized = true;
    return this;
  }

  public Operation initOp() {
    return initOp;
  }

  public Map<Output<?>, Tensor> initFeeds() {
    return initFeeds;
  }

  /** The user's init function, or null. */
  public BiConsumer<Scaffold, NativeSession> initFn() {
    return initFn;
  }

  public Output<TString> readyOp() {
    return readyOp;
  }

  public Output<TString> readyForLocalInitOp() {
    return readyForLocalInitOp;
  }

  public Operation localInitOp() {
    return localInitOp;
  }

  public Map<Output<?>, Tensor> localInitFeeds() {
    return localInitFeeds;
  }

  /** The merged summaries, or null when the graph has none. */
  public Output<TString> summaryOp() {
    return summaryOp;
  }

  /** The saver, or null when the graph has no variable to save. */
  public Saver saver() {
    return saver;
  }

  /**
   * The single item of collection {@code key}, else what {@code ctor} makes (null: nothing to
   * make), listed in the collection. Each maker checks that the graph may change only when it
   * really adds an op: on a finalized graph, a default that needs nothing is fine (issue 11 item 17).
   */
  private <T> T getOrDefault(String arg, String key, Class<T> type, Supplier<T> ctor) {
    List<Object> items = GraphCollections.of(graph).get(key);
    if (items.size() > 1) {
      throw new IllegalStateException(tooMany(key, items.size(), arg));
    }
    if (items.size() == 1) {
      return type.cast(items.get(0));
    }
    T created = ctor.get();
    if (created != null) {
      GraphCollections.of(graph).add(key, created);
    }
    return created;
  }

  @SuppressWarnings("unchecked")
  private Output<TString> getOrDefaultOutput(String arg, String key, Supplier<Output<TString>> ctor) {
    Object item = getOrDefault(arg, key, Object.class, () -> ctor.get());
    if (item instanceof Operation) {
      return ((Operation) item).output(0);
    }
    return (Output<TString>) item;
  }

  /** Called by each default maker just before it adds ops to the graph. */
  private void adding(String piece) {
    GraphFinalization.checkNotFinalized(graph, "the Scaffold's default " + piece);
  }

  private Operation defaultInitOp() {
    adding("initOp");
    Set<Operation> deps = new LinkedHashSet<>(dev.tfmon.runtime.NativeSession.graphInitializers(graph));
    GraphCollections c = GraphCollections.of(graph);
    for (GraphVariable v : c.variables(CollectionKeys.GLOBAL_VARIABLES)) {
      if (v.initializer() != null) {
        deps.add(v.initializer());
      }
    }
    Set<String> local = localVariableNames();
    deps.removeIf(op -> local.contains(op.name()) || isInitializerOfLocal(op, c));
    return group("init", deps);
  }

  private boolean isInitializerOfLocal(Operation op, GraphCollections c) {
    for (GraphVariable v : c.variables(CollectionKeys.LOCAL_VARIABLES)) {
      if (v.initializer() != null && v.initializer().equals(op)) {
        return true;
      }
    }
    return false;
  }

  private Operation defaultLocalInitOp() {
    adding("localInitOp");
    Set<Operation> deps = new LinkedHashSet<>();
    GraphCollections c = GraphCollections.of(graph);
    for (GraphVariable v : c.variables(CollectionKeys.LOCAL_VARIABLES)) {
      if (v.initializer() != null) {
        deps.add(v.initializer());
      }
    }
    deps.addAll(c.get(CollectionKeys.TABLE_INITIALIZERS, Operation.class));
    return group("local_init", deps);
  }

  private Operation group(String name, Set<Operation> deps) {
    Ops tf = Ops.create(graph);
    var builder = graph.opBuilder("NoOp", GraphNames.uniqueOpName(graph, name), tf.scope());
    deps.forEach(builder::addControlInput);
    return builder.build();
  }

  private Set<String> localVariableNames() {
    Set<String> names = new LinkedHashSet<>();
    GraphCollections.of(graph).variables(CollectionKeys.LOCAL_VARIABLES).forEach(v -> names.add(v.name()));
    return names;
  }

  /**
   * A 1-D string tensor of the names of uninitialized variables: every variable of the graph
   * ({@code includeLocal}) or only the global ones.
   */
  private Output<TString> uninitialized(String piece, boolean includeLocal) {
    adding(piece);
    Set<String> local = localVariableNames();
    List<Output<?>> variables = new ArrayList<>();
    for (Output<?> v : VariableChecks.allVariables(graph)) {
      if (includeLocal || !local.contains(v.op().name())) {
        variables.add(v);
      }
    }
    return VariableChecks.reportUninitialized(graph, variables);
  }

  @SuppressWarnings("unchecked")
  private Output<TString> mergeAllSummaries() {
    List<Output> summaries = GraphCollections.of(graph).get(CollectionKeys.SUMMARIES, Output.class);
    if (summaries.isEmpty()) {
      return null;
    }
    adding("summaryOp");
    List<Operand<TString>> inputs = new ArrayList<>();
    summaries.forEach(s -> inputs.add((Operand<TString>) s));
    return Ops.create(graph).summary.mergeSummary(inputs).asOutput();
  }

  private Saver defaultSaver(GraphCollections collections) {
    List<Object> items = collections.get(CollectionKeys.SAVERS);
    if (items.size() > 1) {
      throw new IllegalStateException(tooMany(CollectionKeys.SAVERS, items.size(), "saver"));
    }
    if (items.size() == 1) {
      Object item = items.get(0);
      if (item instanceof Saver) {
        return (Saver) item;
      }
      if (item instanceof SaverDef) {
        return Saver.fromSaverDef(graph, (SaverDef) item);
      }
      throw new IllegalStateException(
          "collection '" + CollectionKeys.SAVERS + "' holds " + item + ", not a saver");
    }
    if (!hasVariables()) {
      // Python's default saver is built with allow_empty=True and then saves and restores
      // nothing; here "nothing to save" is simply no saver.
      return null;
    }
    adding("saver");
    Saver created = Saver.builder(graph).sharded(true).build();
    collections.add(CollectionKeys.SAVERS, created.saverDef());
    return created;
  }

  private static String tooMany(String collection, int size, String piece) {
    return "the Scaffold cannot choose its "
        + piece
        + ": collection '"
        + collection
        + "' holds "
        + size
        + " items; give the one to use to Scaffold.builder(graph)."
        + piece
        + "(...)";
  }

  private boolean hasVariables() {
    return !VariableChecks.allVariables(graph).isEmpty();
  }



  /** Builds a {@link Scaffold}. Every piece is optional. */
  public static final class Builder {
    private final Graph graph;
    private Operation initOp;
    private Map<Output<?>, Tensor> initFeeds;
    private BiConsumer<Scaffold, NativeSession> initFn;
    private Output<TString> readyOp;
    private Output<TString> readyForLocalInitOp;
    private Operation localInitOp;
    private Map<Output<?>, Tensor> localInitFeeds;
    private Output<TString> summaryOp;
    private Saver saver;
    private Scaffold copyFrom;

    private Builder(Graph graph) {
      this.graph = Objects.requireNonNull(graph, "graph");
    }

    public Builder initOp(Operation op) {
      this.initOp = op;
      return this;
    }

    public Builder initOp(Op op) {
      return initOp(op.op());
    }

    /** Tensors fed when the init op runs (still owned by the caller). */
    public Builder initFeed(Operand<?> operand, Tensor value) {
      if (initFeeds == null) {
        initFeeds = new LinkedHashMap<>();
      }
      initFeeds.put(operand.asOutput(), value);
      return this;
    }

    /** Called after the init op when the model was not restored (for example a warm start). */
    public Builder initFn(BiConsumer<Scaffold, NativeSession> fn) {
      this.initFn = fn;
      return this;
    }

    /** A 1-D string tensor listing what is not ready; empty means ready. */
    public Builder readyOp(Operand<TString> op) {
      this.readyOp = op.asOutput();
      return this;
    }

    public Builder readyForLocalInitOp(Operand<TString> op) {
      this.readyForLocalInitOp = op.asOutput();
      return this;
    }

    public Builder localInitOp(Operation op) {
      this.localInitOp = op;
      return this;
    }

    public Builder localInitOp(Op op) {
      return localInitOp(op.op());
    }

    public Builder localInitFeed(Operand<?> operand, Tensor value) {
      if (localInitFeeds == null) {
        localInitFeeds = new LinkedHashMap<>();
      }
      localInitFeeds.put(operand.asOutput(), value);
      return this;
    }

    public Builder summaryOp(Operand<TString> op) {
      this.summaryOp = op.asOutput();
      return this;
    }

    public Builder saver(Saver s) {
      this.saver = s;
      return this;
    }

    /** Takes every piece not set on this builder from {@code other}. */
    public Builder copyFrom(Scaffold other) {
      this.copyFrom = Objects.requireNonNull(other, "copyFrom");
      return this;
    }

    /** @throws IllegalArgumentException if {@link #copyFrom} was given a Scaffold of another graph */
    public Scaffold build() {
      if (copyFrom != null && copyFrom.graph != graph) {
        throw new IllegalArgumentException(
            "copyFrom was given a Scaffold of another graph: copy only a Scaffold of this builder's graph");
      }
      return new Scaffold(this);
    }
  }
}

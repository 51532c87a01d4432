package dev.tfmon.export;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.DataTypes;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.RunResult;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Exports a model as a SavedModel, the format TensorFlow Serving serves and TF Java's {@code
 * SavedModelBundle} and Python's {@code tf.saved_model.load} read: from a live training session
 * (a hook's or listener's session) or from a checkpoint of the graph.
 *
 * <p>What is written:
 *
 * <ul>
 *   <li>the graph <em>pruned</em> to what the signatures' outputs need: no optimizer slots, no
 *       input pipeline, no summaries, no ops of the training saver ({@link
 *       Builder#keepFullGraph(boolean)} keeps everything); devices cleared ({@link
 *       Builder#clearDevices(boolean)});
 *   <li>the variables those outputs read, saved by a saver added to the exported graph (sharded by
 *       default, as TensorFlow's SavedModel builder does) and restored by it on load;
 *   <li>a main op that initializes the lookup tables the signatures use;
 *   <li>the signatures, under tags {@code serve} by default.
 * </ul>
 *
 * <p>The export is written next to its final place and renamed into {@code <base>/<version>} only
 * when complete (see {@link ExportDirectory}). Before that it is <em>verified</em>: loaded in a
 * fresh {@code SavedModelBundle}, each signature is run on a sample input (the one given with
 * {@link Builder#sampleInput}, or zeros of the declared shape with each unknown dimension 1) and
 * its outputs compared with the training session's for the same input; an export that differs
 * beyond {@link Builder#tolerance(double)} is deleted and refused with {@link
 * ExportVerificationException}.
 *
 * <pre>{@code
 * SavedModelExporter exporter = SavedModelExporter.builder(graph)
 *     .signature(ExportSignature.builder().input("x", "x").output("pred", "pred").build())
 *     .build();
 * ExportResult r = exporter.export(session, ExportDirectory.of(Path.of("/models/linear")).keep(3));
 * // r.directory() is /models/linear/<global step>; load it with SavedModelBundle.load(dir, "serve")
 * }</pre>
 *
 * <p>Thread-safe for exports of different sessions; the sample tensors stay the caller's.
 */
public final class SavedModelExporter {
  private static final Logger LOG = LoggerFactory.getLogger(SavedModelExporter.class);

  private final Graph graph;
  private final List<ExportSignature> signatures;
  private final List<String> tags;
  private final boolean sharded;
  private final boolean keepFullGraph;
  private final boolean clearDevices;
  private final boolean verify;
  private final double tolerance;
  private final Map<String, Map<String, Tensor>> samples;
  private final Clock clock;

  private SavedModelExporter(Builder b, List<ExportSignature> signatures) {
    this.graph = b.graph;
    this.signatures = List.copyOf(signatures);
    this.tags = List.copyOf(b.tags);
    this.sharded = b.sharded;
    this.keepFullGraph = b.keepFullGraph;
    this.clearDevices = b.clearDevices;
    this.verify = b.verify;
    this.tolerance = b.tolerance;
    Map<String, Map<String, Tensor>> s = new HashMap<>();
    b.samples.forEach((k, v) -> s.put(k, Map.copyOf(v)));
    this.samples = Map.copyOf(s);
    this.clock = b.clock;
  }

  public static Builder builder(Graph graph) {
    return new Builder(Objects.requireNonNull(graph, "graph"));
  }

  /** The signatures this exporter writes. */
  public List<ExportSignature> signatures() {
    return signatures;
  }

  /** The graph this exporter exports. */
  public Graph graph() {
    return graph;
  }

  /**
   * Exports the model of {@code session} as version {@code <global step>} of {@code exports} (or a
   * timestamp when the graph has no global step).
   *
   * @throws IllegalArgumentException if the version exists already, the base cannot be written, or
   *     the session runs another graph
   * @throws ExportVerificationException if the written model computes something else
   */
  public ExportResult export(RunnableSession session, ExportDirectory exports) {
    return export(session, exports, defaultVersion(session, exports));
  }

  /** Exports the model of {@code session} as version {@code version} of {@code exports}. */
  public ExportResult export(RunnableSession session, ExportDirectory exports, long version) {
    return export(session, exports, version, Map.of());
  }

  /**
   * Exports the model saved in {@code checkpoint}: a session over this exporter's graph is restored
   * with {@code saver} (the graph's own saver, e.g. {@code MetaGraphs.importMetaGraph(...).saver()}),
   * its tables are initialized, and it is exported as a live session would be, at the checkpoint's
   * global step. The training session verification compares with is that restored session.
   *
   * @throws dev.tfmon.errors.NotFoundException naming the graph's variables the checkpoint lacks
   * @throws dev.tfmon.errors.InvalidArgumentException naming variables whose dtype or shape differ
   */
  public ExportResult exportCheckpoint(String checkpoint, Saver saver, ExportDirectory exports) {
    return exportCheckpoint(checkpoint, saver, exports, null, Map.of());
  }

  /**
   * {@link #exportCheckpoint(String, Saver, ExportDirectory)} as version {@code version} (null: the
   * restored global step), with {@code extraFiles} in {@code assets.extra/}.
   */
  ExportResult exportCheckpoint(
      String checkpoint, Saver saver, ExportDirectory exports, Long version, Map<String, byte[]> extraFiles) {
    Objects.requireNonNull(checkpoint, "checkpoint");
    Objects.requireNonNull(saver, "saver");
    if (saver.graph() != graph) {
      throw new IllegalArgumentException("the saver belongs to another graph than the exporter's");
    }
    try (NativeSession session = NativeSession.open(graph)) {
      saver.restore(session, checkpoint);
      List<Operation> tables = GraphCollections.of(graph).get(CollectionKeys.TABLE_INITIALIZERS, Operation.class);
      if (!tables.isEmpty()) {
        session.runner().addTargets(tables).run().close();
      }
      return export(session, exports, version != null ? version : defaultVersion(session, exports), extraFiles);
    }
  }

  ExportResult export(RunnableSession session, ExportDirectory exports, long version, Map<String, byte[]> extraFiles) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(exports, "exports");
    if (session.graph() != graph) {
      throw new IllegalArgumentException("the session runs another graph than the exporter's");
    }
    Plan plan = plan();
    Path temp = exports.createTemp(version);
    try {
      SavedModelWriter.Written written =
          SavedModelWriter.write(session, plan.graphDef, plan.variables, plan.initializers, signatures, tags, sharded,
              extraFiles, temp);
      Verification verification =
          verify ? ExportVerifier.verify(temp, tags, session, signatures, samples, tolerance) : Verification.skipped();
      ExportDirectory.Published published = exports.publish(temp, version);
      ExportResult result =
          new ExportResult(published.directory(), version, signatures, written.variables(), written.nodes(),
              plan.sourceNodes, verification, published.deleted());
      LOG.info("exported SavedModel {} ({} of {} nodes, {} variables); {}", result.directory(), result.keptNodes(),
          result.sourceNodes(), result.variables().size(), verification.summary());
      return result;
    } catch (RuntimeException | Error e) {
      exports.discard(temp);
      throw e;
    }
  }

  private long defaultVersion(RunnableSession session, ExportDirectory exports) {
    Optional<GraphVariable> step = GlobalStep.get(graph);
    if (step.isEmpty()) {
      return exports.timestampVersion(clock);
    }
    try (RunResult r = session.runner().fetch(SavedModelWriter.valueInSource(graph, step.get().name())).run()) {
      Tensor t = r.get(0);
      return t instanceof TInt64 ? ((TInt64) t).getLong() : ((TInt32) t).getInt();
    }
  }

  private record Plan(GraphDef graphDef, List<String> variables, List<String> initializers, int sourceNodes) {}

  /** The graph to write: pruned to the signatures' needs (plus the tables they read), devices cleared. */
  private Plan plan() {
    GraphDef full = graph.toGraphDef();
    GraphDef chosen;
    List<String> variables;
    List<String> initializers = new ArrayList<>();
    List<Operation> tableInits = GraphCollections.of(graph).get(CollectionKeys.TABLE_INITIALIZERS, Operation.class);
    if (keepFullGraph) {
      chosen = full;
      variables = GraphPruning.variables(full);
      tableInits.forEach(op -> initializers.add(op.name()));
    } else {
      Set<String> roots = new LinkedHashSet<>();
      for (ExportSignature s : signatures) {
        s.outputs().values().forEach(t -> roots.add(GraphNames.output(graph, t).op().name()));
      }
      Map<String, NodeDef> cuts = cuts();
      GraphPruning.Pruned pruned = GraphPruning.prune(full, roots, cuts);
      Set<String> kept = new LinkedHashSet<>();
      pruned.graphDef().getNodeList().forEach(n -> kept.add(n.getName()));
      // A lookup table's initializer is not an input of its lookups: keep those of kept tables.
      for (Operation init : tableInits) {
        GraphOperation op = (GraphOperation) init;
        if (op.numInputs() > 0 && kept.contains(op.input(0).op().name()) && roots.add(op.name())) {
          initializers.add(op.name());
        }
      }
      if (!initializers.isEmpty()) {
        pruned = GraphPruning.prune(full, roots, cuts);
      }
      chosen = pruned.graphDef();
      variables = pruned.variables();
    }
    if (clearDevices) {
      chosen = SavedModelWriter.withoutDevices(chosen);
    }
    return new Plan(chosen, variables, initializers, full.getNodeCount());
  }

  /**
   * Inputs fed into tensors the training graph computes (not placeholders) become placeholders of
   * the same name, dtype and shape in the export, so the graph that computed them is left out.
   */
  private Map<String, NodeDef> cuts() {
    Map<String, NodeDef> cuts = new LinkedHashMap<>();
    for (ExportSignature s : signatures) {
      for (Map.Entry<String, String> in : s.inputs().entrySet()) {
        Output<?> t = GraphNames.output(graph, in.getValue());
        GraphOperation op = (GraphOperation) t.op();
        if (op.type().startsWith("Placeholder")) {
          continue;
        }
        if (op.numOutputs() != 1) {
          throw new IllegalArgumentException(
              "signature '" + s.name() + "' input '" + in.getKey() + "' is tensor '" + in.getValue() + "' of "
                  + op.type() + " op '" + op.name() + "', which has " + op.numOutputs()
                  + " outputs; feed a placeholder or a single-output op");
        }
        cuts.put(
            op.name(),
            NodeDef.newBuilder()
                .setName(op.name())
                .setOp("Placeholder")
                .putAttr("dtype", AttrValue.newBuilder().setType(DataTypes.base(t.dataType())).build())
                .putAttr("shape", AttrValue.newBuilder().setShape(ExportSignature.shapeProto(t.shape())).build())
                .build());
      }
    }
    return cuts;
  }

  /**
   * Settings of a {@link SavedModelExporter}; {@link #build()} checks every signature against the
   * graph.
   *
   * <pre>{@code
   * SavedModelExporter.builder(graph).signature(predict).tags("serve", "gpu").shardedSaver(false)
   *     .sampleInput("serving_default", "x", rows).tolerance(1e-5).build();
   * }</pre>
   */
  public static final class Builder {
    private final Graph graph;
    private final List<ExportSignature> signatures = new ArrayList<>();
    private List<String> tags = List.of("serve");
    private boolean sharded = true;
    private boolean keepFullGraph;
    private boolean clearDevices = true;
    private boolean verify = true;
    private double tolerance = 1e-6;
    private final Map<String, Map<String, Tensor>> samples = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();

    private Builder(Graph graph) {
      this.graph = graph;
    }

    /**
     * Adds a signature. Without any, the signatures recorded in the graph ({@link
     * ExportSignature#recordIn}) are used.
     */
    public Builder signature(ExportSignature signature) {
      signatures.add(Objects.requireNonNull(signature, "signature"));
      return this;
    }

    public Builder signatures(List<ExportSignature> list) {
      list.forEach(this::signature);
      return this;
    }

    /** The MetaGraph's tags (default {@code serve}); loaders ask for exactly this set. */
    public Builder tags(String... tags) {
      this.tags = List.of(tags);
      return this;
    }

    /**
     * Whether the exported saver is sharded (default true, as TensorFlow's SavedModel builder):
     * either way {@code variables/variables.index} and its data files are complete, and the
     * {@code SaverDef} in {@code saved_model.pb} is the one that wrote them.
     */
    public Builder shardedSaver(boolean sharded) {
      this.sharded = sharded;
      return this;
    }

    /**
     * Writes the whole training graph and every variable (optimizer slots, the input pipeline,
     * summaries, the training saver's ops) instead of the part the signatures need (default
     * false). Useful to resume training from an export, at the cost of size.
     */
    public Builder keepFullGraph(boolean keep) {
      this.keepFullGraph = keep;
      return this;
    }

    /** Clears the nodes' devices, so the model loads on any machine (default true). */
    public Builder clearDevices(boolean clear) {
      this.clearDevices = clear;
      return this;
    }

    /** Loads and runs each export before publishing it (default true). */
    public Builder verify(boolean verify) {
      this.verify = verify;
      return this;
    }

    /**
     * The largest accepted difference between the export's and the session's float outputs,
     * relative to the expected magnitude when that is above 1 (default 1e-6); other dtypes must be
     * equal.
     */
    public Builder tolerance(double tolerance) {
      if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
        throw new IllegalArgumentException("expected a tolerance >= 0, but got " + tolerance);
      }
      this.tolerance = tolerance;
      return this;
    }

    /**
     * The value verification feeds to {@code input} of {@code signature} (still owned by the
     * caller, who keeps it open while exports run); other inputs get zeros.
     */
    public Builder sampleInput(String signature, String input, Tensor value) {
      samples.computeIfAbsent(signature, k -> new LinkedHashMap<>()).put(input, Objects.requireNonNull(value, "value"));
      return this;
    }

    /** The clock of timestamp versions (default: the system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @throws IllegalArgumentException if there is no signature, two share a name, a signature
     *     names a tensor the graph lacks, the tags are empty, or a sample names an unknown
     *     signature or input
     */
    public SavedModelExporter build() {
      List<ExportSignature> chosen = signatures.isEmpty() ? ExportSignature.recordedIn(graph) : signatures;
      if (chosen.isEmpty()) {
        throw new IllegalArgumentException(
            "no signature to export: add one with signature(...), or record one in the graph with ExportSignature.recordIn");
      }
      Set<String> names = new LinkedHashSet<>();
      for (ExportSignature s : chosen) {
        if (!names.add(s.name())) {
          throw new IllegalArgumentException("two signatures are named '" + s.name() + "'");
        }
        s.toSignatureDef(graph);
      }
      if (tags.isEmpty() || tags.stream().anyMatch(t -> t == null || t.isBlank())) {
        throw new IllegalArgumentException("expected at least one non-blank tag such as 'serve', but got " + tags);
      }
      for (Map.Entry<String, Map<String, Tensor>> e : samples.entrySet()) {
        ExportSignature s = chosen.stream().filter(c -> c.name().equals(e.getKey())).findFirst()
            .orElseThrow(() -> new IllegalArgumentException(
                "sampleInput names signature '" + e.getKey() + "', but the signatures are " + names));
        for (String key : e.getValue().keySet()) {
          if (!s.inputs().containsKey(key)) {
            throw new IllegalArgumentException(
                "sampleInput names input '" + key + "' of signature '" + s.name() + "', whose inputs are " + s.inputs().keySet());
          }
        }
      }
      return new SavedModelExporter(this, chosen);
    }
  }
}

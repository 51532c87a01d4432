package dev.tfmon.cli;

import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.checkpoint.MetaGraphs;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.MonitoredSession;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * Training a graph exported by TensorFlow ({@code .meta}): the imported graph, its saver, the train
 * op and loss named on the command line, and the CSV columns fed to its placeholders in batches of
 * consecutive rows (all rows by default, a full-batch step as in the usual Python loop).
 *
 * <pre>{@code
 * MetaGraphTraining m = MetaGraphTraining.load(graph, meta, null, "loss", csv, List.of("x=f0,f1", "y=y"), null);
 * m.step(session);   // one run of the train op, fed the next batch
 * }</pre>
 */
final class MetaGraphTraining implements AutoCloseable {
  private final Saver saver;
  private final Operation trainOp;
  private final Output<?> loss;
  private final int rows;
  private final int batchSize;
  private final List<Map<Output<?>, Tensor>> batches = new ArrayList<>();
  private final String feedDescription;
  private int next;

  private MetaGraphTraining(
      Saver saver, Operation trainOp, Output<?> loss, int rows, int batchSize, String feedDescription) {
    this.saver = saver;
    this.trainOp = trainOp;
    this.loss = loss;
    this.rows = rows;
    this.batchSize = batchSize;
    this.feedDescription = feedDescription;
  }

  /**
   * Imports {@code metaFile} into {@code graph} and prepares the feeds.
   *
   * @throws CliException usage error for an unknown op, tensor, placeholder or column, or a bad
   *     {@code --feed}; failure if the file is not a MetaGraph or lacks a global step
   */
  static MetaGraphTraining load(
      Graph graph, Path metaFile, String trainOpName, String lossName, Path data, List<String> feeds,
      Integer batchSize) {
    // Parse everything the command line says first: a typo fails before any work.
    List<String[]> parsedFeeds = new ArrayList<>();
    for (String feed : feeds) {
      int eq = feed.indexOf('=');
      if (eq <= 0 || eq == feed.length() - 1) {
        throw CliException.usage("--feed '" + feed + "': expected PLACEHOLDER=COLUMN[,COLUMN...]");
      }
      parsedFeeds.add(new String[] {feed.substring(0, eq), feed.substring(eq + 1)});
    }
    CsvTable table = CsvTable.read(data);
    ImportedMetaGraph imported;
    try {
      imported = MetaGraphs.importMetaGraph(graph, metaFile);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw CliException.failure("--meta-graph " + metaFile + ": " + e.getMessage(), e);
    }
    Operation train = trainOp(graph, metaFile, trainOpName, imported);
    Output<?> lossOut = lossTensor(graph, metaFile, lossName == null ? "loss" : lossName, lossName == null);
    if (GlobalStep.get(graph).isEmpty()) {
      throw CliException.failure(
          "--meta-graph " + metaFile + " has no global step (a variable 'global_step' or collection 'global_step'); "
              + "tfmon counts steps with it");
    }
    Saver saver = imported.saver().orElseGet(() -> Saver.builder(graph).build());
    int rows = table.rows().size();
    if (batchSize != null && batchSize > rows) {
      throw CliException.usage("--batch-size " + batchSize + " is larger than the " + rows + " rows of " + data);
    }
    int batch = batchSize != null ? batchSize : rows;
    List<String> described = new ArrayList<>();
    Map<Output<?>, int[]> columns = new LinkedHashMap<>();
    for (String[] f : parsedFeeds) {
      Output<?> placeholder = placeholder(graph, metaFile, f[0]);
      String[] names = f[1].split(",");
      int[] cols = new int[names.length];
      for (int i = 0; i < names.length; i++) {
        cols[i] = table.columnIndex(names[i].strip(), "--feed " + f[0] + "=... column");
      }
      checkWidth(placeholder, f[0], cols.length);
      columns.put(placeholder, cols);
      described.add(f[0] + " <- " + f[1] + " (" + typeName(placeholder.dataType()) + ")");
    }
    MetaGraphTraining m =
        new MetaGraphTraining(saver, train, lossOut, rows, batch, "feeding " + String.join(", ", described));
    try {
      for (int start = 0; start < rows; start += batch) {
        int end = Math.min(rows, start + batch);
        Map<Output<?>, Tensor> feed = new LinkedHashMap<>();
        m.batches.add(feed);
        for (Map.Entry<Output<?>, int[]> e : columns.entrySet()) {
          feed.put(e.getKey(), tensor(e.getKey(), table, start, end, e.getValue()));
        }
      }
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return m;
  }

  private static Operation trainOp(Graph graph, Path metaFile, String name, ImportedMetaGraph imported) {
    List<Operation> listed = GraphCollections.of(graph).get(CollectionKeys.TRAIN_OP, Operation.class);
    List<String> listedNames = new ArrayList<>();
    listed.forEach(o -> listedNames.add(o.name()));
    if (name == null) {
      return imported.trainOp().orElseThrow(() -> CliException.usage(
          "--meta-graph " + metaFile + " has no train_op collection: name the training op with --train-op"));
    }
    GraphOperation op = graph.operation(name);
    if (op == null) {
      throw CliException.usage(
          "--train-op '" + name + "' is not an operation of " + metaFile
              + (listedNames.isEmpty() ? "" : "; its train_op collection holds " + listedNames));
    }
    return op;
  }

  private static Output<?> lossTensor(Graph graph, Path metaFile, String name, boolean defaulted) {
    try {
      return GraphNames.output(graph, name);
    } catch (IllegalArgumentException e) {
      throw CliException.usage(
          (defaulted ? "no tensor 'loss' in " + metaFile + ": name the loss with --loss"
              : "--loss '" + name + "' is not a tensor of " + metaFile + " (" + e.getMessage() + ")"));
    }
  }

  private static Output<?> placeholder(Graph graph, Path metaFile, String name) {
    GraphOperation op = graph.operation(name);
    if (op == null || !op.type().startsWith("Placeholder")) {
      List<String> placeholders = new ArrayList<>();
      graph.operations().forEachRemaining(o -> {
        if (o.type().equals("Placeholder")) {
          placeholders.add(o.name());
        }
      });
      throw CliException.usage(
          "--feed " + name + "=...: " + (op == null ? "no operation" : "operation '" + name + "' is a " + op.type() + ", not a placeholder;")
              + (op == null ? " named '" + name + "' in " + metaFile + ";" : "")
              + " placeholders: " + placeholders);
    }
    return op.output(0);
  }

  /** The placeholder's shape: [batch] takes one column, [batch, k] takes k columns. */
  private static void checkWidth(Output<?> placeholder, String name, int columns) {
    Shape shape = placeholder.shape();
    if (shape.isUnknown()) {
      return;
    }
    int rank = shape.numDimensions();
    long width = rank == 2 ? shape.get(1) : rank == 1 ? 1 : -2;
    if (width == -2 || (width >= 0 && width != columns) || (rank == 1 && columns != 1)) {
      throw CliException.usage(
          "--feed " + name + "=...: placeholder '" + name + "' has shape " + shape + ", which does not take "
              + columns + " column(s) per row");
    }
  }

  private static Tensor tensor(Output<?> placeholder, CsvTable table, int start, int end, int[] cols) {
    return CsvTensors.of(
        placeholder.dataType(), placeholder.shape(), "placeholder '" + placeholder.op().name() + "'", table, start, end,
        cols);
  }

  private static String typeName(DataType t) {
    return switch (t) {
      case DT_FLOAT -> "float32";
      case DT_DOUBLE -> "float64";
      default -> t.name().substring(3).toLowerCase(java.util.Locale.ROOT);
    };
  }

  /** One run of the train op with hooks, fed the next batch (cycling over the data). */
  void step(MonitoredSession session) {
    SessionRunArgs.Builder args = SessionRunArgs.builder().target(trainOp);
    batches.get(next).forEach(args::feed);
    next = (next + 1) % batches.size();
    session.run(args.build()).close();
  }

  Saver saver() {
    return saver;
  }

  Operation trainOp() {
    return trainOp;
  }

  Output<?> loss() {
    return loss;
  }

  int rows() {
    return rows;
  }

  int batchSize() {
    return batchSize;
  }

  long batchesPerEpoch() {
    return batches.size();
  }

  String feedDescription() {
    return feedDescription;
  }

  @Override
  public void close() {
    for (Map<Output<?>, Tensor> feed : batches) {
      feed.values().forEach(Tensor::close);
    }
    batches.clear();
  }
}

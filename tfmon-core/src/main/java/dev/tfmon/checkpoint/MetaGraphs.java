package dev.tfmon.checkpoint;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SaverDef;

/**
 * Writes and reads {@code .meta} files (binary {@code MetaGraphDef}s): the graph, the saver's
 * {@code SaverDef} and the graph's collections, so a model can be rebuilt and trained on elsewhere,
 * including graphs exported by Python TensorFlow 1.x.
 *
 * <pre>{@code
 * try (Graph graph = new Graph()) {
 *   ImportedMetaGraph m = MetaGraphs.importMetaGraph(graph, Path.of("/train/model.ckpt-30.meta"));
 *   Operation train = m.trainOp().orElseThrow();
 * }
 * }</pre>
 */
public final class MetaGraphs {
  private MetaGraphs() {}

  /**
   * Writes {@code graph} with {@code saver}'s {@code SaverDef} (if not null) and the graph's
   * collections to {@code metaFile}, atomically.
   *
   * @throws UncheckedIOException if the file cannot be written
   */
  public static void exportMetaGraph(Graph graph, Saver saver, Path metaFile) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(metaFile, "metaFile");
    MetaGraphDef.Builder meta =
        MetaGraphDef.newBuilder()
            .setMetaInfoDef(
                MetaGraphDef.MetaInfoDef.newBuilder()
                    .setTensorflowVersion(TensorFlow.version())
                    .setTensorflowGitVersion("tfmon (TensorFlow Java)"))
            .setGraphDef(graph.toGraphDef())
            .putAllCollectionDef(GraphCollections.of(graph).toCollectionDefs());
    if (saver != null) {
      meta.setSaverDef(saver.saverDef());
    }
    try {
      AtomicFiles.write(metaFile, meta.build().toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write MetaGraph " + metaFile + ": " + e, e);
    }
  }

  /** {@link #importMetaGraph(Graph, Path, boolean, String)} keeping devices, without a scope. */
  public static ImportedMetaGraph importMetaGraph(Graph graph, Path metaFile) {
    return importMetaGraph(graph, metaFile, false, "");
  }

  /**
   * Imports a {@code .meta} file into {@code graph}: its nodes (names prefixed with {@code
   * importScope + "/"} if not empty), its collections, a {@link Saver} over its {@code saver_def}
   * and its train op.
   *
   * @param clearDevices drop every node's device, so a graph pinned to devices this process lacks
   *     (e.g. {@code /device:CPU:1}) runs on the default one
   * @throws IllegalArgumentException if the file is not a MetaGraphDef or TensorFlow rejects the
   *     graph
   * @throws UncheckedIOException if the file cannot be read
   */
  public static ImportedMetaGraph importMetaGraph(
      Graph graph, Path metaFile, boolean clearDevices, String importScope) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(importScope, "importScope (use \"\" for none)");
    MetaGraphDef meta;
    try {
      meta = MetaGraphDef.parseFrom(Files.readAllBytes(metaFile));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("MetaGraph file " + metaFile + " does not exist", e);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(metaFile + " is not a MetaGraphDef: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read MetaGraph " + metaFile + ": " + e, e);
    }
    GraphDef graphDef = meta.getGraphDef();
    if (clearDevices) {
      GraphDef.Builder b = graphDef.toBuilder();
      for (NodeDef.Builder node : b.getNodeBuilderList()) {
        node.clearDevice();
      }
      graphDef = b.build();
    }
    graph.importGraphDef(graphDef, importScope);
    GraphCollections collections = GraphCollections.of(graph);
    collections.importCollectionDefs(meta.getCollectionDefMap(), importScope);
    Optional<Saver> saver = Optional.empty();
    if (meta.hasSaverDef()) {
      saver = Optional.of(Saver.fromSaverDef(graph, scoped(meta.getSaverDef(), importScope)));
    }
    List<Operation> train = collections.get(CollectionKeys.TRAIN_OP, Operation.class);
    return new ImportedMetaGraph(meta, saver, train.isEmpty() ? Optional.empty() : Optional.of(train.get(0)));
  }

  private static SaverDef scoped(SaverDef def, String scope) {
    if (scope.isEmpty()) {
      return def;
    }
    return def.toBuilder()
        .setFilenameTensorName(scope + "/" + def.getFilenameTensorName())
        .setSaveTensorName(scope + "/" + def.getSaveTensorName())
        .setRestoreOpName(scope + "/" + def.getRestoreOpName())
        .build();
  }
}

package dev.tfmon.export;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.checkpoint.MetaGraphs;
import dev.tfmon.checkpoint.Saver;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.tensorflow.Graph;

/**
 * Writes a checkpoint as a SavedModel version: restores it into a session of its own and exports
 * that, verified against it ({@link SavedModelExporter#exportCheckpoint}). {@link
 * ExportOnImprovement} calls one for each evaluated checkpoint worth exporting. Make one with
 * {@link #of} over a graph you hold, or with {@link #fromMetaGraphs}, which takes each
 * checkpoint's own graph from its {@code .meta} file: the choice for a sidecar, which has no
 * training graph, and for a cluster's chief, whose graph is placed on ps tasks that a local session
 * cannot reach.
 *
 * <pre>{@code
 * CheckpointExporter fromGraph = CheckpointExporter.of(exporter, scaffold.saver());
 * CheckpointExporter fromMeta = CheckpointExporter.fromMetaGraphs(graph -> SavedModelExporter.builder(graph).build());
 * }</pre>
 */
public interface CheckpointExporter {
  /**
   * Exports {@code checkpoint} as version {@code version} of {@code exports}, with {@code
   * extraFiles} (name to bytes) written into the export's {@code assets.extra/}.
   *
   * @throws IllegalArgumentException if the version exists already or the base cannot be written
   * @throws ExportVerificationException if the written model computes something else than the
   *     restored checkpoint
   */
  ExportResult export(String checkpoint, ExportDirectory exports, long version, Map<String, byte[]> extraFiles);

  /**
   * Restores each checkpoint with {@code saver} into a new session over {@code exporter}'s graph
   * (which the caller keeps open, and which a local session must be able to run: no devices of
   * other tasks).
   *
   * @throws IllegalArgumentException if the saver belongs to another graph
   */
  static CheckpointExporter of(SavedModelExporter exporter, Saver saver) {
    Objects.requireNonNull(exporter, "exporter");
    Objects.requireNonNull(saver, "saver");
    if (saver.graph() != exporter.graph()) {
      throw new IllegalArgumentException("the saver belongs to another graph than the exporter's");
    }
    return (checkpoint, exports, version, extraFiles) ->
        exporter.exportCheckpoint(checkpoint, saver, exports, version, extraFiles);
  }

  /**
   * Imports each checkpoint's {@code <checkpoint>.meta} into a new graph with the devices cleared,
   * restores the checkpoint with the MetaGraph's saver (a saver over every variable when it has
   * none) and exports it with the exporter {@code exporterOfGraph} builds over that graph (for
   * example with the signature the graph records). The graph is closed after each export.
   *
   * @throws IllegalArgumentException (when exporting) naming the missing or unreadable {@code .meta}
   */
  static CheckpointExporter fromMetaGraphs(Function<Graph, SavedModelExporter> exporterOfGraph) {
    Objects.requireNonNull(exporterOfGraph, "exporterOfGraph");
    return (checkpoint, exports, version, extraFiles) -> {
      Path meta = Path.of(Checkpoints.metaGraphFilename(checkpoint));
      try (Graph graph = new Graph()) {
        ImportedMetaGraph imported = MetaGraphs.importMetaGraph(graph, meta, true, "");
        Saver saver = imported.saver().orElseGet(() -> Saver.builder(graph).build());
        return exporterOfGraph.apply(graph).exportCheckpoint(checkpoint, saver, exports, version, extraFiles);
      }
    };
  }
}

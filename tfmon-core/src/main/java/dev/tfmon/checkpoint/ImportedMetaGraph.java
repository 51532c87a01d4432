package dev.tfmon.checkpoint;

import java.util.Optional;
import org.tensorflow.Operation;
import org.tensorflow.proto.MetaGraphDef;

/**
 * What {@link MetaGraphs#importMetaGraph} added to a graph: the MetaGraph itself, a {@link Saver}
 * running its {@code saver_def} (if it has one), and the first op of its {@code train_op}
 * collection (if any).
 *
 * <pre>{@code
 * ImportedMetaGraph imported = MetaGraphs.importMetaGraph(graph, Path.of("model.ckpt-30.meta"));
 * imported.saver().orElseThrow().restore(session, "model.ckpt-30");
 * }</pre>
 *
 * @param metaGraphDef the parsed file
 * @param saver a saver over the imported save/restore ops
 * @param trainOp the imported training op
 */
public record ImportedMetaGraph(
    MetaGraphDef metaGraphDef, Optional<Saver> saver, Optional<Operation> trainOp) {}

/**
 * Checkpoints as TensorFlow 1.x writes them: {@link dev.tfmon.checkpoint.Saver} (V2 files written
 * and read by TensorFlow's SaveV2/RestoreV2/MergeV2Checkpoints kernels, retention, the {@code
 * checkpoint} state file with relative paths), {@link dev.tfmon.checkpoint.Checkpoints} (state file
 * helpers, the integrity fallback {@code newestRestorable} and the restore compatibility check
 * {@code mismatches}), {@link dev.tfmon.checkpoint.CheckpointReader} (the {@code .index} table
 * parsed in Java, CRC32C-checked reads, partitioned variables assembled from their {@link
 * dev.tfmon.checkpoint.TensorSlice}s), {@link dev.tfmon.checkpoint.MetaGraphs} ({@code .meta} export
 * and import, including Python's), {@link dev.tfmon.checkpoint.AtomicFiles} (the model directory's
 * atomic writes) and {@link dev.tfmon.checkpoint.PreemptionSaver} (a final checkpoint on SIGTERM).
 *
 * <pre>{@code
 * Saver saver = Saver.builder(graph).maxToKeep(3).build();
 * Checkpoints.newestRestorable(dir).ifPresentOrElse(p -> saver.restore(session, p), init);
 * saver.save(session, dir.resolve("model.ckpt").toString(), step);
 * }</pre>
 */
package dev.tfmon.checkpoint;

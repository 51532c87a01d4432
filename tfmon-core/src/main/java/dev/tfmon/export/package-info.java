/**
 * SavedModel export: the model leaves tfmon in the format TensorFlow Serving serves and TF Java's
 * {@code SavedModelBundle} and Python's {@code tf.saved_model.load} read.
 *
 * <ul>
 *   <li>{@link dev.tfmon.export.SavedModelExporter} writes a SavedModel from a live session or a
 *       checkpoint: the graph pruned to the signatures, their variables with a matching saver
 *       (sharded or not), a main op; then loads it back and checks it against the session.
 *   <li>{@link dev.tfmon.export.ExportSignature} names a signature's input and output tensors;
 *       a graph can record its own ({@code recordIn}) so that its {@code .meta} files carry them.
 *   <li>{@link dev.tfmon.export.ExportDirectory} is the versioned base directory: temp dir, atomic
 *       rename to {@code <base>/<version>}, keep the N newest.
 *   <li>{@link dev.tfmon.export.LatestExporter} and {@link dev.tfmon.export.BestExporter} export
 *       from {@code CheckpointSaverHook}'s listener calls, the latter when an {@link
 *       dev.tfmon.export.ExportMetric} improves.
 *   <li>{@link dev.tfmon.export.ExportOnImprovement} listens to an evaluation ({@code
 *       dev.tfmon.eval}) and exports the evaluated checkpoint when its metric improves, through a
 *       {@link dev.tfmon.export.CheckpointExporter}.
 * </ul>
 *
 * <pre>{@code
 * SavedModelExporter exporter = SavedModelExporter.builder(graph)
 *     .signature(ExportSignature.builder().input("x", x).output("y", y).build()).build();
 * MonitoredTrainingSession.builder(graph).checkpointDir(dir)
 *     .checkpointListener(LatestExporter.builder(exporter, ExportDirectory.of(exportBase).keep(3)).build())
 *     .build();
 * }</pre>
 *
 * <p>Loading is TF Java's own: {@code SavedModelBundle.load(dir, "serve")}.
 */
package dev.tfmon.export;

/**
 * TensorBoard event files, as TensorFlow 1.x writes and reads them: {@link
 * dev.tfmon.summary.EventFileWriter} (TFRecord-framed events, a bounded queue and one writer
 * thread), {@link dev.tfmon.summary.SummaryWriter} ({@code tf.summary.FileWriter}) and its shared
 * {@link dev.tfmon.summary.SummaryWriterCache}, the summary ops of {@link
 * dev.tfmon.summary.Summaries}, and for reading back {@link dev.tfmon.summary.EventFileReader}
 * and {@link dev.tfmon.summary.ScalarSeries}.
 *
 * <pre>{@code
 * Summaries.scalar(graph, "loss", loss);
 * Output<TString> merged = Summaries.mergeAll(graph).orElseThrow();
 * SummaryWriter writer = SummaryWriterCache.get(logDir, graph);
 * try (RunResult r = session.runner().fetch(merged).run()) {
 *   writer.addSummary(((TString) r.get(0)).asBytes().getObject(), step);
 * }
 * }</pre>
 */
package dev.tfmon.summary;

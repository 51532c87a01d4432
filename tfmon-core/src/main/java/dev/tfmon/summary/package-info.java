/**
 * TensorBoard event files, as TensorFlow 1.x writes and reads them: {@link
 * dev.tfmon.summary.EventFileWriter} (TFRecord-framed events, a bounded queue and one writer
 * thread that writes whole records and flushes every {@code flushSecs}), {@link
 * dev.tfmon.summary.SummaryWriter} ({@code tf.summary.FileWriter}) and its shared {@link
 * dev.tfmon.summary.SummaryWriterCache}, the summary ops of {@link dev.tfmon.summary.Summaries};
 * for reading back {@link dev.tfmon.summary.EventFileReader} (one file, keeping the readable part of
 * a damaged one) and {@link dev.tfmon.summary.ScalarSeries}; and, as TensorBoard reads a log
 * directory, {@link dev.tfmon.summary.EventRun} (the runs under it) and {@link
 * dev.tfmon.summary.RunContents} (a run's tags with their {@link dev.tfmon.summary.TagKind}, its
 * scalars and restarts).
 *
 * <pre>{@code
 * Summaries.scalar(graph, "loss", loss);
 * Output<TString> merged = Summaries.mergeAll(graph).orElseThrow();
 * SummaryWriter writer = SummaryWriterCache.get(logDir, graph);
 * try (RunResult r = session.runner().fetch(merged).run()) {
 *   writer.addSummary(((TString) r.get(0)).asBytes().getObject(), step);
 * }
 * for (EventRun run : EventRun.find(logDir)) {
 *   RunContents contents = RunContents.read(run);
 *   System.out.println(run.name() + ": " + contents.scalars().keySet());
 * }
 * }</pre>
 */
package dev.tfmon.summary;

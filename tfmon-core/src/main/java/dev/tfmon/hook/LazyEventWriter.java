package dev.tfmon.hook;

import dev.tfmon.summary.SummaryWriter;
import dev.tfmon.summary.SummaryWriterCache;
import java.nio.file.Path;
import org.tensorflow.Graph;

/**
 * The event-file writer a hook writes through: the writer it was given, else the cached writer of
 * its output directory, fetched at the first write rather than at {@code begin}, so that a run that
 * fails at its first step leaves no event file behind. Neither given: the hook writes nothing.
 */
final class LazyEventWriter {
  private final Path outputDir;
  private final SummaryWriter given;
  private Graph graph;
  private SummaryWriter writer;

  LazyEventWriter(Path outputDir, SummaryWriter given) {
    this.outputDir = outputDir;
    this.given = given;
  }

  /** Forgets the writer of an earlier session; the next {@link #get()} fetches it for {@code g}. */
  void begin(Graph g) {
    graph = g;
    writer = given;
  }

  /** The writer, fetched now if needed; null when there is neither a writer nor a directory. */
  SummaryWriter get() {
    if (writer == null && outputDir != null) {
      writer = SummaryWriterCache.get(outputDir, graph);
    }
    return writer;
  }

  /** Flushes the writer if one was fetched. */
  void flush() {
    if (writer != null) {
      writer.flush();
    }
  }
}

package dev.tfmon.summary;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;

/**
 * One shared {@link SummaryWriter} per log directory, as TensorFlow 1.x's {@code FileWriterCache}:
 * the hooks of one training run all write into the same event file.
 *
 * <pre>{@code
 * SummaryWriter writer = SummaryWriterCache.get(checkpointDir, graph);  // same object each time
 * SummaryWriterCache.clear();                                            // closes them all
 * }</pre>
 *
 * <p>Keys are the {@link Path} as given, not normalized (Python keys by the exact string). TF Java
 * has no default graph, so the graph whose graph and meta-graph events open a new writer is passed
 * explicitly; a later call with another graph gets the existing writer. Nothing closes cached
 * writers except {@link #clear()}. Thread-safe.
 *
 * <p>TensorFlow gives cached writers its default flush interval of 120 s, and so does this cache
 * unless {@link #setFlushSecs} chose another one: a program (such as the {@code tfmon} command)
 * that wants its hooks' summaries on disk sooner sets it before the first writer is created.
 */
public final class SummaryWriterCache {
  private static final Logger LOG = LoggerFactory.getLogger(SummaryWriterCache.class);
  private static final Map<Path, SummaryWriter> WRITERS = new LinkedHashMap<>();
  private static volatile double flushSecs = 120;

  private SummaryWriterCache() {}

  /** The writer of {@code logDir}, created without a graph on first request. */
  public static SummaryWriter get(Path logDir) {
    Objects.requireNonNull(logDir, "logDir");
    synchronized (WRITERS) {
      return WRITERS.computeIfAbsent(logDir, dir -> SummaryWriter.builder(dir).flushSecs(flushSecs).build());
    }
  }

  /**
   * The writer of {@code logDir}; created on first request with {@code graph}'s graph and meta-graph
   * events (FWC-1).
   */
  public static SummaryWriter get(Path logDir, Graph graph) {
    Objects.requireNonNull(logDir, "logDir");
    Objects.requireNonNull(graph, "graph");
    synchronized (WRITERS) {
      return WRITERS.computeIfAbsent(
          logDir, dir -> SummaryWriter.builder(dir).graph(graph).flushSecs(flushSecs).build());
    }
  }

  /**
   * The flush interval of the writers this cache creates from now on (writers already cached keep
   * theirs); see {@link EventFileWriter.Builder#flushSecs}.
   *
   * @throws IllegalArgumentException if {@code secs} is negative, infinite or NaN
   */
  public static void setFlushSecs(double secs) {
    flushSecs = EventFileWriter.checkFlushSecs(secs);
  }

  /** The flush interval given to writers created from now on (120 s unless {@link #setFlushSecs}). */
  public static double flushSecs() {
    return flushSecs;
  }

  /** Closes and forgets every cached writer; a failure to close one is logged, not thrown. */
  public static void clear() {
    List<SummaryWriter> writers;
    synchronized (WRITERS) {
      writers = new ArrayList<>(WRITERS.values());
      WRITERS.clear();
    }
    for (SummaryWriter writer : writers) {
      try {
        writer.close();
      } catch (RuntimeException e) {
        LOG.error("closing the summary writer of {} failed", writer.logDir(), e);
      }
    }
  }
}

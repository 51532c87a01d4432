package dev.tfmon.summary;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;
import org.tensorflow.proto.TaggedRunMetadata;

/**
 * TensorFlow 1.x's {@code tf.summary.FileWriter}: turns summaries, graphs, session logs and run
 * metadata into {@link Event}s stamped with the wall time and (when given) the step, and hands
 * them to an {@link EventFileWriter}.
 *
 * <pre>{@code
 * try (SummaryWriter writer = SummaryWriter.builder(logDir).graph(graph).build()) {
 *   writer.addSessionLog(SessionLogs.start(), step);
 *   try (RunResult r = session.runner().fetch(merged).run()) {
 *     writer.addSummary(((TString) r.get(0)).asBytes().getObject(), step);
 *   }
 * }
 * }</pre>
 *
 * <p>As in Python: per writer, only the first value of a tag keeps its {@code metadata}; a run
 * metadata tag can be used once; after {@link #close()} every add is a no-op with a warning until
 * {@link #reopen()}. Python's plugin assets are not written: TF Java graphs have none. Thread-safe.
 */
public final class SummaryWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SummaryWriter.class);

  private final EventFileWriter events;
  private final Clock clock;
  private final Set<String> seenSummaryTags = new HashSet<>();
  private final Set<String> runMetadataTags = new HashSet<>();

  private SummaryWriter(Builder b) {
    this.events = b.events.build();
    this.clock = b.clock;
    if (b.graph != null) {
      // FW-1: a writer given a graph starts with a graph event, then a meta-graph event.
      addGraph(b.graph);
      addMetaGraph(GraphDefs.metaGraph(b.graph));
    }
  }

  /** A writer on {@code logDir} with TensorFlow's defaults and no graph. */
  public static SummaryWriter create(Path logDir) {
    return builder(logDir).build();
  }

  /** Starts configuring a writer on {@code logDir}. */
  public static Builder builder(Path logDir) {
    return new Builder(logDir);
  }

  /** The directory the events go to. */
  public Path logDir() {
    return events.logDir();
  }

  /** The underlying event file writer. */
  public EventFileWriter eventFileWriter() {
    return events;
  }

  /** {@link #addSummary(Summary, long)} without a step (the event's step is then 0). */
  public void addSummary(Summary summary) {
    writeSummary(summary, null);
  }

  /** Writes {@code Event{summary}} at {@code step}; see the class comment about metadata. */
  public void addSummary(Summary summary, long step) {
    writeSummary(summary, step);
  }

  /**
   * Writes a serialized Summary (what a summary op's string tensor holds).
   *
   * @throws IllegalArgumentException if {@code serialized} is not a Summary
   */
  public void addSummary(byte[] serialized, long step) {
    writeSummary(parseSummary(serialized), step);
  }

  /** {@link #addSummary(byte[], long)} without a step. */
  public void addSummary(byte[] serialized) {
    writeSummary(parseSummary(serialized), null);
  }

  /** Writes {@code Event{session_log}} at {@code step}. */
  public void addSessionLog(SessionLog log, long step) {
    writeEvent(Event.newBuilder().setSessionLog(Objects.requireNonNull(log, "log")), step);
  }

  /** {@link #addSessionLog(SessionLog, long)} without a step. */
  public void addSessionLog(SessionLog log) {
    writeEvent(Event.newBuilder().setSessionLog(Objects.requireNonNull(log, "log")), null);
  }

  /** Writes {@code Event{graph_def}} of {@code graph} with output shapes ({@link GraphDefs}). */
  public void addGraph(Graph graph, long step) {
    writeGraph(GraphDefs.withShapes(Objects.requireNonNull(graph, "graph")), step);
  }

  /** {@link #addGraph(Graph, long)} without a step. */
  public void addGraph(Graph graph) {
    writeGraph(GraphDefs.withShapes(Objects.requireNonNull(graph, "graph")), null);
  }

  /**
   * Writes {@code Event{graph_def}} of a GraphDef as given. Python deprecates passing a GraphDef
   * (the graph loses its shapes), and so this logs a warning.
   */
  public void addGraph(GraphDef graphDef, long step) {
    warnGraphDef();
    writeGraph(Objects.requireNonNull(graphDef, "graphDef"), step);
  }

  /** {@link #addGraph(GraphDef, long)} without a step. */
  public void addGraph(GraphDef graphDef) {
    warnGraphDef();
    writeGraph(Objects.requireNonNull(graphDef, "graphDef"), null);
  }

  /** Writes {@code Event{meta_graph_def}} at {@code step}. */
  public void addMetaGraph(MetaGraphDef metaGraph, long step) {
    Objects.requireNonNull(metaGraph, "metaGraph");
    writeEvent(Event.newBuilder().setMetaGraphDef(metaGraph.toByteString()), step);
  }

  /** {@link #addMetaGraph(MetaGraphDef, long)} without a step. */
  public void addMetaGraph(MetaGraphDef metaGraph) {
    Objects.requireNonNull(metaGraph, "metaGraph");
    writeEvent(Event.newBuilder().setMetaGraphDef(metaGraph.toByteString()), null);
  }

  /**
   * Writes {@code Event{tagged_run_metadata{tag, run_metadata}}} at {@code step}.
   *
   * @throws IllegalArgumentException if this writer already wrote run metadata under {@code tag}
   */
  public void addRunMetadata(RunMetadata metadata, String tag, long step) {
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(tag, "tag");
    synchronized (runMetadataTags) {
      if (!runMetadataTags.add(tag)) {
        throw new IllegalArgumentException(
            "The provided tag was already used for this event type: '" + tag + "'");
      }
    }
    writeEvent(
        Event.newBuilder()
            .setTaggedRunMetadata(
                TaggedRunMetadata.newBuilder().setTag(tag).setRunMetadata(metadata.toByteString())),
        step);
  }

  /** Writes {@code event} exactly as given (no wall time or step is set). */
  public void addEvent(Event event) {
    Objects.requireNonNull(event, "event");
    warnIfClosed();
    events.add(event);
  }

  /** Waits until every event added so far is on disk; see {@link EventFileWriter#flush()}. */
  public void flush() {
    events.flush();
  }

  /** Flushes and closes the event file; idempotent. */
  @Override
  public void close() {
    events.close();
  }

  /** After {@link #close()}: the next event goes to a new file. */
  public void reopen() {
    events.reopen();
  }

  /** True between {@link #close()} and {@link #reopen()}. */
  public boolean isClosed() {
    return events.isClosed();
  }

  private void writeSummary(Summary summary, Long step) {
    Objects.requireNonNull(summary, "summary");
    Summary.Builder kept = null;
    synchronized (seenSummaryTags) {
      for (int i = 0; i < summary.getValueCount(); i++) {
        Summary.Value value = summary.getValue(i);
        if (!value.hasMetadata()) {
          continue;
        }
        if (!seenSummaryTags.add(value.getTag())) {
          // TensorBoard takes a tag's plugin from its first value, so repeating it is waste.
          if (kept == null) {
            kept = summary.toBuilder();
          }
          kept.setValue(i, value.toBuilder().clearMetadata());
        }
      }
    }
    writeEvent(Event.newBuilder().setSummary(kept == null ? summary : kept.build()), step);
  }

  private void writeGraph(GraphDef graphDef, Long step) {
    writeEvent(Event.newBuilder().setGraphDef(graphDef.toByteString()), step);
  }

  private void writeEvent(Event.Builder event, Long step) {
    warnIfClosed();
    Instant now = clock.instant();
    event.setWallTime(now.getEpochSecond() + now.getNano() / 1e9);
    if (step != null) {
      event.setStep(step);
    }
    events.add(event.build());
  }

  private void warnIfClosed() {
    if (events.isClosed()) {
      LOG.warn(
          "Attempting to use a closed SummaryWriter on {}. The operation is a no-op unless the"
              + " writer is explicitly reopened.",
          events.logDir());
    }
  }

  private static void warnGraphDef() {
    LOG.warn("Passing a GraphDef to addGraph is deprecated: pass the Graph so shapes are recorded");
  }

  private static Summary parseSummary(byte[] serialized) {
    Objects.requireNonNull(serialized, "serialized");
    try {
      return Summary.parseFrom(serialized);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "expected a serialized Summary, but " + serialized.length + " bytes do not parse: "
              + e.getMessage(),
          e);
    }
  }

  /** Settings of a {@link SummaryWriter}. */
  public static final class Builder {
    private final EventFileWriter.Builder events;
    private Graph graph;
    private Clock clock = Clock.systemUTC();

    private Builder(Path logDir) {
      this.events = EventFileWriter.builder(logDir);
    }

    /** Writes a graph event and a meta-graph event of {@code graph} at construction (FW-1). */
    public Builder graph(Graph graph) {
      this.graph = Objects.requireNonNull(graph, "graph");
      return this;
    }

    /** See {@link EventFileWriter.Builder#maxQueue}. */
    public Builder maxQueue(int maxQueue) {
      events.maxQueue(maxQueue);
      return this;
    }

    /** See {@link EventFileWriter.Builder#flushSecs}. */
    public Builder flushSecs(double flushSecs) {
      events.flushSecs(flushSecs);
      return this;
    }

    /** See {@link EventFileWriter.Builder#filenameSuffix}. */
    public Builder filenameSuffix(String suffix) {
      events.filenameSuffix(suffix);
      return this;
    }

    /** The clock for wall times, file names and flushes. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      events.clock(clock);
      return this;
    }

    /** See {@link EventFileWriter.Builder#hostname}. */
    public Builder hostname(String hostname) {
      events.hostname(hostname);
      return this;
    }

    /** Creates the log directory if needed and starts the writer. */
    public SummaryWriter build() {
      return new SummaryWriter(this);
    }
  }
}

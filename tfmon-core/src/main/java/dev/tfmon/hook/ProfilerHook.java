package dev.tfmon.hook;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.summary.SummaryWriter;
import dev.tfmon.summary.SummaryWriterCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TInt64;

/**
 * Traces one run every N steps or seconds with {@code FULL_TRACE} and writes {@code
 * <outputDir>/timeline-<step>.json}, a Chrome trace ({@link ChromeTrace}) that chrome://tracing
 * and Perfetto load; the run metadata also goes to the directory's event file under tag {@code
 * step_<step>} (TensorFlow 1.x's {@code ProfilerHook}). The first run is never traced.
 *
 * <pre>{@code
 * ProfilerHook profiler = ProfilerHook.builder().saveSteps(1000).outputDir(Path.of("/train")).build();
 * }</pre>
 *
 * <p>A second trace of the same step into the same directory (after a restore) fails, as in
 * TensorFlow, because the event file's run-metadata tag is taken.
 */
public final class ProfilerHook implements SessionRunHook {
  private final SecondOrStepTimer timer;
  private final Path outputDir;
  private final boolean showDataflow;
  private SummaryWriter writer;
  private Output<TInt64> stepRead;
  private SessionRunArgs plain;
  private SessionRunArgs traced;
  private Long nextStep;
  private boolean requested;

  private ProfilerHook(Builder b, SecondOrStepTimer timer) {
    this.timer = timer;
    this.outputDir = b.outputDir;
    this.showDataflow = b.showDataflow;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void begin(BeginContext context) {
    Graph graph = context.graph();
    // TensorFlow takes the writer in the constructor; here the graph is known only now.
    writer = SummaryWriterCache.get(outputDir, graph);
    nextStep = null;
    stepRead = HookSupport.stepRead(graph, "ProfilerHook");
    plain = SessionRunArgs.fetch(stepRead);
    traced =
        plain.toBuilder()
            .options(RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build())
            .withMetadata()
            .build();
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    requested = nextStep != null && timer.shouldTriggerForStep(nextStep);
    return requested ? traced : plain;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    long stale = values.getLong(stepRead);
    if (nextStep == null) {
      // Start the timer so that the first trace comes N steps or seconds from now.
      timer.updateLastTriggeredStep(stale);
    }
    long step = stale + 1;
    if (requested) {
      step = GlobalStep.value(context.session());
      timer.updateLastTriggeredStep(step);
      RunMetadata metadata = values.runMetadata() == null ? RunMetadata.getDefaultInstance() : values.runMetadata();
      writeTimeline(outputDir.resolve("timeline-" + step + ".json"), metadata);
      writer.addRunMetadata(metadata, "step_" + step, step);
    }
    nextStep = step + 1;
  }

  private void writeTimeline(Path file, RunMetadata metadata) {
    try {
      Files.createDirectories(outputDir);
      Files.writeString(file, ChromeTrace.of(metadata.getStepStats(), showDataflow), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write timeline " + file + ": " + e.getMessage(), e);
    }
  }

  /** Builds a {@link ProfilerHook}; validated at {@link #build()}. */
  public static final class Builder extends SavingHookBuilder<Builder> {
    private Path outputDir = Path.of("");
    private boolean showDataflow = true;

    private Builder() {}

    /** Where timelines and the event file go (default: the working directory). */
    public Builder outputDir(Path dir) {
      this.outputDir = Objects.requireNonNull(dir, "outputDir");
      return this;
    }

    /** Whether timelines carry data-flow arrows (default true). */
    public Builder showDataflow(boolean show) {
      this.showDataflow = show;
      return this;
    }

    /** @throws IllegalArgumentException unless exactly one of saveSteps and saveSecs is set */
    public ProfilerHook build() {
      return new ProfilerHook(this, timer());
    }
  }
}

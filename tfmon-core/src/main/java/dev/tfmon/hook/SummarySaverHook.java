package dev.tfmon.hook;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.summary.SessionLogs;
import dev.tfmon.summary.SummaryWriter;
import dev.tfmon.summary.SummaryWriterCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Evaluates summary ops every N steps or seconds and writes them to an event file, tagged with the
 * global step after the run (TensorFlow 1.x's {@code SummarySaverHook}). The first run always
 * writes, preceded by a {@code SessionLog START}. Summary ops run only on saving steps.
 *
 * <pre>{@code
 * SummarySaverHook hook = SummarySaverHook.builder().saveSteps(100).outputDir(dir).scaffold(scaffold).build();
 * SummarySaverHook lossOnly = SummarySaverHook.builder().saveSecs(30).outputDir(dir)
 *     .summaryOp(Summaries.scalar(graph, "loss", loss)).build();
 * }</pre>
 */
public final class SummarySaverHook implements SessionRunHook {
  private final SecondOrStepTimer timer;
  private final LazyEventWriter events;
  private final Scaffold scaffold;
  private final List<Output<TString>> summaryOps;
  private final StaleStep staleStep;
  private Output<TInt64> stepRead;
  private Long nextStep;
  private boolean requested;
  private SessionRunArgs stepOnly;
  private SessionRunArgs withSummaries;

  private SummarySaverHook(Builder b, SecondOrStepTimer timer) {
    this.timer = timer;
    this.events = new LazyEventWriter(b.outputDir, b.writer);
    this.scaffold = b.scaffold;
    this.summaryOps = List.copyOf(b.summaryOps);
    this.staleStep = new StaleStep(b.fetchStepEveryNRuns, 1);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void begin(BeginContext context) {
    Graph graph = context.graph();
    events.begin(graph);
    nextStep = null;
    stepRead = HookSupport.stepRead(graph, "SummarySaverHook");
    stepOnly = SessionRunArgs.fetch(stepRead);
    withSummaries = null;
    staleStep.reset();
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    requested = nextStep == null || timer.shouldTriggerForStep(nextStep);
    // The stale step only serves to count towards the next trigger, which nextStep already does.
    boolean fetchStep = staleStep.fetchBefore(requested, stale -> false);
    if (!requested) {
      return fetchStep ? stepOnly : null;
    }
    if (withSummaries == null) {
      // The scaffold's summary op exists only once the scaffold is finalized, after begin().
      SessionRunArgs.Builder b = SessionRunArgs.builder().fetch(stepRead);
      ops().forEach(b::fetch);
      withSummaries = b.build();
    }
    return withSummaries;
  }

  private List<Output<TString>> ops() {
    if (!summaryOps.isEmpty()) {
      return summaryOps;
    }
    Output<TString> op = scaffold.summaryOp();
    return op == null ? List.of() : List.of(op);
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    SummaryWriter writer = events.get();
    if (writer == null) {
      return;
    }
    long step = staleStep.afterRun(values, stepRead) + 1;
    if (nextStep == null || requested) {
      step = GlobalStep.value(context.session());
    }
    if (nextStep == null) {
      writer.addSessionLog(SessionLogs.start(), step);
    }
    if (requested) {
      timer.updateLastTriggeredStep(step);
      for (int i = 1; i < values.results().size(); i++) {
        writer.addSummary(((TString) values.get(i)).asBytes().getObject(), step);
      }
    }
    nextStep = step + 1;
  }

  @Override
  public void end(RunnableSession session) {
    events.flush();
  }

  /** Builds a {@link SummarySaverHook}; validated at {@link #build()}. */
  public static final class Builder extends SavingHookBuilder<Builder> {
    private int fetchStepEveryNRuns = 1;
    private Path outputDir;
    private SummaryWriter writer;
    private Scaffold scaffold;
    private final List<Output<TString>> summaryOps = new ArrayList<>();

    private Builder() {}

    /** Where to write (through {@link SummaryWriterCache}). */
    public Builder outputDir(Path dir) {
      this.outputDir = Objects.requireNonNull(dir, "outputDir");
      return this;
    }

    /** A writer to use instead of the cached writer of {@link #outputDir}. */
    public Builder summaryWriter(SummaryWriter w) {
      this.writer = Objects.requireNonNull(w, "summaryWriter");
      return this;
    }

    /** Take the summary op from this scaffold (excludes {@link #summaryOp}). */
    public Builder scaffold(Scaffold s) {
      this.scaffold = Objects.requireNonNull(s, "scaffold");
      return this;
    }

    /** A serialized-Summary tensor to evaluate and write; may be called several times. */
    public Builder summaryOp(Operand<TString> op) {
      summaryOps.add(Objects.requireNonNull(op, "summaryOp").asOutput());
      return this;
    }

    /**
     * Fetch the global step in one run out of {@code n} and on saving runs, instead of in
     * every run (default 1, TensorFlow 1.x): cheaper runs, but a step advanced by something else
     * than this loop is seen up to {@code n} runs late (see docs/BENCHMARKS.md, issue 16).
     */
    public Builder fetchStepEveryNRuns(int n) {
      this.fetchStepEveryNRuns = n;
      return this;
    }

    /**
     * @throws IllegalArgumentException unless exactly one of scaffold and summary ops is given and
     *     exactly one of saveSteps and saveSecs
     */
    public SummarySaverHook build() {
      StaleStep.requireFetchEveryNRuns(fetchStepEveryNRuns);
      if ((scaffold == null) == summaryOps.isEmpty()) {
        throw new IllegalArgumentException(
            "set either a scaffold (for its summary op) or summary ops, but got "
                + (scaffold == null ? "neither" : "both (summary ops " + summaryOps + ")"));
      }
      return new SummarySaverHook(this, timer());
    }
  }
}

package dev.tfmon.hook;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.summary.SummaryWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.proto.Summary;
import org.tensorflow.types.TInt64;

/**
 * Measures global steps per second every N steps or seconds, logs it and writes it as the scalar
 * {@code global_step/sec} (TensorFlow 1.x's {@code StepCounterHook}). The first trigger only starts
 * the clock.
 *
 * <pre>{@code
 * StepCounterHook hook = StepCounterHook.builder().everyNSteps(100).outputDir(Path.of("/train")).build();
 * }</pre>
 *
 * <p>Unlike Python, setting only {@code everyNSecs} needs no explicit "no steps": the default of
 * 100 steps applies only when neither frequency is set; setting both is an error.
 */
public final class StepCounterHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(StepCounterHook.class);
  private static final int MAX_NOT_INCREASED_WARNINGS = 5;

  private final SecondOrStepTimer timer;
  private final LazyEventWriter events;
  private final int stepsPerRun;
  private final StaleStep staleStep;
  private final LongPredicate mayFireAt;
  private Output<TInt64> stepRead;
  private SessionRunArgs args;
  private String tag;
  private Long lastStale;
  private int notIncreasedWarnings;

  private StepCounterHook(Builder b, SecondOrStepTimer timer) {
    this.timer = timer;
    this.events = new LazyEventWriter(b.outputDir, b.writer);
    this.stepsPerRun = b.stepsPerRun;
    this.staleStep = new StaleStep(b.fetchStepEveryNRuns, b.stepsPerRun);
    this.mayFireAt = stale -> timer.shouldTriggerForStep(stale + stepsPerRun);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The summary tag, {@code <global step op>/sec}; null before {@code begin}. */
  public String tag() {
    return tag;
  }

  @Override
  public void begin(BeginContext context) {
    Graph graph = context.graph();
    stepRead = HookSupport.stepRead(graph, "StepCounterHook");
    events.begin(graph);
    tag = GlobalStep.get(graph).orElseThrow().name() + "/sec";
    args = SessionRunArgs.fetch(stepRead);
    lastStale = null;
    staleStep.reset();
    notIncreasedWarnings = 0;
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return staleStep.fetchBefore(false, mayFireAt) ? args : null;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    long stale = staleStep.afterRun(values, stepRead);
    // A run that did not fetch was judged not due in beforeRun (a seconds timer that becomes due
    // meanwhile fires at the next run, which fetches).
    if (staleStep.fetched() && timer.shouldTriggerForStep(stale + stepsPerRun)) {
      long step = GlobalStep.value(context.session());
      if (timer.shouldTriggerForStep(step)) {
        Optional<SecondOrStepTimer.Elapsed> elapsed = timer.updateLastTriggeredStep(step);
        elapsed.ifPresent(e -> record(e, step));
      }
    }
    if (!staleStep.fetched()) {
      return; // a counted step always advances: only fetched ones can show a stuck step
    }
    // Some optimizers (SyncReplicas workers) do not advance the step on every run: warn only a few times.
    if (lastStale != null && stale == lastStale && notIncreasedWarnings < MAX_NOT_INCREASED_WARNINGS) {
      notIncreasedWarnings++;
      LOG.warn(
          "the global step stayed at {} over the last run: steps/sec counts global steps, so run an"
              + " op that increments it (GlobalStep.increment or TrainOps.minimize) in each step",
          stale);
    }
    lastStale = stale;
  }

  private void record(SecondOrStepTimer.Elapsed elapsed, long step) {
    double rate = elapsed.seconds() > 0 ? elapsed.steps() / elapsed.seconds() : Double.POSITIVE_INFINITY;
    SummaryWriter writer = events.get();
    if (writer != null) {
      Summary summary =
          Summary.newBuilder()
              .addValue(Summary.Value.newBuilder().setTag(tag).setSimpleValue((float) rate))
              .build();
      writer.addSummary(summary, step);
    }
    if (LOG.isInfoEnabled()) {
      LOG.info("{}: {}", tag, fourDigits(rate));
    }
  }

  /** A rate with four significant digits ({@code 240.2}, {@code 2055}, {@code 0.5012}). */
  static String fourDigits(double rate) {
    if (Double.isNaN(rate) || Double.isInfinite(rate) || rate == 0) {
      return Double.toString(rate);
    }
    return new java.math.BigDecimal(rate).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
  }

  /** Builds a {@link StepCounterHook}; validated at {@link #build()}. */
  public static final class Builder {
    private Frequency every = Frequency.unset();
    private Path outputDir;
    private SummaryWriter writer;
    private int stepsPerRun = 1;
    private int fetchStepEveryNRuns = 1;

    private Builder() {}

    /** Steps, seconds and clock at once (replacing what the other setters set). */
    public Builder every(Frequency frequency) {
      every = Objects.requireNonNull(frequency, "every");
      return this;
    }

    /** Measure every {@code steps} global steps (default 100 when no frequency is set). */
    public Builder everyNSteps(long steps) {
      every = every.withSteps(steps);
      return this;
    }

    public Builder everyNSecs(double secs) {
      every = every.withSecs(secs);
      return this;
    }

    /** Where to write the summaries (through {@link dev.tfmon.summary.SummaryWriterCache}); none if unset. */
    public Builder outputDir(Path dir) {
      this.outputDir = Objects.requireNonNull(dir, "outputDir");
      return this;
    }

    /** A writer to use instead of the cached writer of {@link #outputDir}. */
    public Builder summaryWriter(SummaryWriter w) {
      this.writer = Objects.requireNonNull(w, "summaryWriter");
      return this;
    }

    /** How much each run advances the global step (default 1). */
    public Builder stepsPerRun(int steps) {
      this.stepsPerRun = steps;
      return this;
    }

    /** The time source for {@link #everyNSecs} (default: the system clock). */
    public Builder clock(Clock c) {
      every = every.withClock(c);
      return this;
    }

    /**
     * Fetch the global step in one run out of {@code n} and when the timer may fire, instead of in
     * every run (default 1, TensorFlow 1.x): cheaper runs, but a step advanced by something else
     * than this loop is seen up to {@code n} runs late (see docs/BENCHMARKS.md, issue 16).
     */
    public Builder fetchStepEveryNRuns(int n) {
      this.fetchStepEveryNRuns = n;
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the values if both frequencies are set, one is
     *     negative, or stepsPerRun is below 1
     */
    public StepCounterHook build() {
      StaleStep.requireFetchEveryNRuns(fetchStepEveryNRuns);
      HookSupport.requireStepsPerRun(stepsPerRun);
      return new StepCounterHook(this, every.orEverySteps(100).timer("everyNSteps", "everyNSecs"));
    }
  }
}

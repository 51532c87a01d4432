package dev.tfmon.session;

import dev.tfmon.checkpoint.CheckpointDirLock;
import dev.tfmon.hook.CheckpointSaverHook;
import dev.tfmon.hook.CheckpointSaverListener;
import dev.tfmon.hook.Frequency;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.StepCounterHook;
import dev.tfmon.hook.SummarySaverHook;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.proto.ConfigProto;

/**
 * Builds the {@link MonitoredSession} a training job uses, with TensorFlow 1.x's {@code
 * tf.train.MonitoredTrainingSession} arguments, defaults and default hooks.
 *
 * <pre>{@code
 * try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
 *         .checkpointDir(Path.of("/tmp/model")).hook(StopAtStepHook.numSteps(1000)).build()) {
 *   session.runUntilStopped(s -> s.run(trainOp));
 * }
 * }</pre>
 *
 * <p>A chief ({@code isChief(true)}, the default) restores the newest checkpoint of {@code
 * checkpointDir} or initializes the model, and runs, in this order: the chief-only hooks; with a
 * summary directory ({@code summaryDir}, else {@code checkpointDir}) a {@link StepCounterHook}
 * every {@code logStepCountSteps} (100) steps and a {@link SummarySaverHook} every {@code
 * saveSummariesSteps} (100) steps or {@code saveSummariesSecs}; with {@code checkpointDir} a
 * {@link CheckpointSaverHook} every {@code saveCheckpointSecs} (600) or {@code
 * saveCheckpointSteps}; then the user's hooks. A worker waits up to {@code maxWait} (7200 s) for
 * the chief and runs only the user's hooks. A frequency of zero disables its hook. Setting both the
 * seconds and the steps of one frequency, or a negative frequency (which Python silently takes as
 * "never"), is an error at {@link Builder#build()}. A chief with a {@code checkpointDir} holds a {@link
 * CheckpointDirLock} on it until {@code close()} (beyond TF 1.x; {@code lockCheckpointDir(false)}
 * turns it off).
 */
public final class MonitoredTrainingSession {
  private MonitoredTrainingSession() {}

  public static Builder builder(Graph graph) {
    return new Builder(graph);
  }

  /**
   * Builds a {@link MonitoredSession}; every setting has TensorFlow's default. The hooks, grace
   * period, recovery and hook-cost settings are those of every monitored session ({@link
   * MonitoredSessionSettings}); the hooks added there are the user's, run after the default ones.
   */
  public static final class Builder extends MonitoredSessionSettings<Builder> {
    private final Graph graph;
    private String master = "";
    private boolean isChief = true;
    private Path checkpointDir;
    private Scaffold scaffold;
    private final List<SessionRunHook> chiefOnlyHooks = new ArrayList<>();
    private Frequency checkpoints = Frequency.unset();
    private Frequency summaries = Frequency.unset();
    private ConfigProto config;
    private long logStepCountSteps = 100;
    private Duration maxWait = Duration.ofSeconds(7200);
    private Duration recoveryWait = Duration.ofSeconds(30);
    private Path summaryDir;
    private boolean saveGraphDef = true;
    private final List<CheckpointSaverListener> checkpointListeners = new ArrayList<>();
    private boolean writeBeforeFirstStep = true;
    private boolean lockCheckpointDir = true;
    private int fetchStepEveryNRuns = 1;

    private Builder(Graph graph) {
      this.graph = Objects.requireNonNull(graph, "graph");
    }

    /** {@code ""} (in process, the default) or {@code grpc://host:port}. */
    public Builder master(String target) {
      this.master = Objects.requireNonNull(target, "master");
      return this;
    }

    /** Whether this task initializes or restores the model and runs the default hooks (default true). */
    public Builder isChief(boolean chief) {
      this.isChief = chief;
      return this;
    }

    /** Where to restore from and save checkpoints (and summaries, unless {@link #summaryDir}). */
    public Builder checkpointDir(Path dir) {
      this.checkpointDir = Objects.requireNonNull(dir, "checkpointDir");
      return this;
    }

    /** The scaffold shared by the session creator and the default hooks (default: a new one). */
    public Builder scaffold(Scaffold s) {
      this.scaffold = Objects.requireNonNull(s, "scaffold");
      return this;
    }

    /** Hooks run only by the chief, before the default hooks. */
    public Builder chiefOnlyHook(SessionRunHook hook) {
      chiefOnlyHooks.add(Objects.requireNonNull(hook, "hook"));
      return this;
    }

    public Builder chiefOnlyHooks(List<? extends SessionRunHook> list) {
      list.forEach(this::chiefOnlyHook);
      return this;
    }

    /** Checkpoint every {@code secs} seconds (default 600 unless steps are set; 0: never). */
    public Builder saveCheckpointSecs(double secs) {
      checkpoints = checkpoints.withSecs(secs);
      return this;
    }

    /** Checkpoint every {@code steps} global steps (0: never). */
    public Builder saveCheckpointSteps(long steps) {
      checkpoints = checkpoints.withSteps(steps);
      return this;
    }

    /** Write summaries every {@code steps} global steps (default 100 unless secs are set; 0: never). */
    public Builder saveSummariesSteps(long steps) {
      summaries = summaries.withSteps(steps);
      return this;
    }

    /** Write summaries every {@code secs} seconds (0: never). */
    public Builder saveSummariesSecs(double secs) {
      summaries = summaries.withSecs(secs);
      return this;
    }

    /** The session options (null, the default: TensorFlow's defaults). */
    public Builder config(ConfigProto sessionConfig) {
      this.config = sessionConfig;
      return this;
    }

    /** Log and record steps/sec every {@code steps} steps (default 100; 0: never). */
    public Builder logStepCountSteps(long steps) {
      this.logStepCountSteps = steps;
      return this;
    }

    /** How long a worker waits for the chief to initialize the model (default 7200 s). */
    public Builder maxWait(Duration max) {
      this.maxWait = Objects.requireNonNull(max, "maxWait");
      return this;
    }

    /**
     * How often a worker checks whether the chief has made the model ready, and a chief whether a
     * checkpoint appeared (default 30 s, TF 1.x's {@code recovery_wait_secs}). Beyond TF 1.x: a
     * shorter wait makes a recovering worker rejoin sooner.
     */
    public Builder recoveryWait(Duration wait) {
      this.recoveryWait = Objects.requireNonNull(wait, "recoveryWait");
      return this;
    }

    /** Where summaries go (default: the checkpoint directory). */
    public Builder summaryDir(Path dir) {
      this.summaryDir = Objects.requireNonNull(dir, "summaryDir");
      return this;
    }

    /** Whether checkpoints come with graph.pbtxt and {@code .meta} files (default true). */
    public Builder saveGraphDef(boolean save) {
      this.saveGraphDef = save;
      return this;
    }

    /** Told about every save of the default {@link CheckpointSaverHook} (e.g. to export metrics). */
    public Builder checkpointListener(CheckpointSaverListener listener) {
      checkpointListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** The time source of the default hooks' second-based timers (default: the system clock). */
    public Builder clock(Clock c) {
      checkpoints = checkpoints.withClock(c);
      summaries = summaries.withClock(c);
      return this;
    }

    /**
     * Whether the chief writes into the checkpoint directory when the session is created (default
     * true, as TF 1.x: a checkpoint of the initial or restored model, {@code graph.pbtxt} and the
     * graph events). With false nothing is written before the first step has succeeded: a run that
     * fails at its first step, or has no step to run, leaves the directory as it was (see {@link
     * CheckpointSaverHook.Builder#writeBeforeFirstStep}).
     */
    public Builder writeBeforeFirstStep(boolean write) {
      this.writeBeforeFirstStep = write;
      return this;
    }

    /**
     * Whether a chief holds a {@link CheckpointDirLock} on the checkpoint directory while the
     * session is open (default true), so that a second chief on the same directory fails at
     * {@link #build()} naming the first instead of interleaving checkpoints with it. Turn it off
     * when the caller already holds the lock.
     */
    public Builder lockCheckpointDir(boolean lock) {
      this.lockCheckpointDir = lock;
      return this;
    }

    /**
     * Opt-in (issue 16): the default hooks fetch the global step in one run out of {@code n}, and
     * in the runs where one of their timers may fire by their own count of steps, instead of in
     * every run (default 1, TensorFlow 1.x). Most runs then fetch nothing for any default hook and
     * cost what a run without hooks costs. What changes: between fetches a hook counts runs, so a
     * global step advanced by something else than this loop (other workers, runs without hooks)
     * is seen up to {@code n} runs late, and a step-based timer fires up to {@code n} runs later
     * than in TensorFlow 1.x; the step written with a summary, a checkpoint or a steps/sec figure
     * is still the one read when the timer fires.
     */
    public Builder fetchStepEveryNRuns(int n) {
      this.fetchStepEveryNRuns = n;
      return this;
    }

    /**
     * Validates the settings, creates the default hooks and builds the session (which runs every
     * hook's {@code begin}, then creates, initializes or restores the session).
     *
     * @throws IllegalArgumentException naming the setting and the value if both seconds and steps
     *     are set for checkpoints or for summaries, a frequency or a wait is negative,
     *     hookCostWarningShare is outside [0, 1], the scaffold belongs to another graph, or
     *     fetchStepEveryNRuns is below 1
     * @throws CheckpointDirLock.HeldException if another run holds the checkpoint directory
     */
    public MonitoredSession build() {
      validate();
      Scaffold sc = scaffold != null ? scaffold : Scaffold.of(graph);
      SessionCreator creator;
      List<SessionRunHook> all = new ArrayList<>();
      List<SessionRunHook> defaults = List.of();
      if (isChief) {
        ChiefSessionCreator.Builder chief =
            ChiefSessionCreator.builder(sc).master(master).config(config).recoveryWait(recoveryWait);
        if (checkpointDir != null) {
          chief.checkpointDir(checkpointDir);
        }
        creator = chief.build();
        all.addAll(chiefOnlyHooks);
        defaults = defaultHooks(sc);
        all.addAll(defaults);
      } else {
        creator =
            WorkerSessionCreator.builder(sc)
                .master(master)
                .config(config)
                .maxWait(maxWait)
                .recoveryWait(recoveryWait)
                .build();
      }
      all.addAll(hooks);
      MonitoredSession.Builder<MonitoredSession> b =
          MonitoredSession.builder(creator).exemptFromCostWarning(defaults);
      copyTo(b, all);
      if (isChief && checkpointDir != null && lockCheckpointDir) {
        // Held until the session closes; released at once if building it fails.
        b.closeWith(CheckpointDirLock.acquire(checkpointDir));
      }
      return b.build();
    }

    @Override
    void validate() {
      super.validate();
      checkpoints.checkAtMostOne("saveCheckpointSteps", "saveCheckpointSecs");
      summaries.checkAtMostOne("saveSummariesSteps", "saveSummariesSecs");
      SettingChecks.frequency("logStepCountSteps", logStepCountSteps);
      SettingChecks.nonNegative("maxWait", maxWait);
      SettingChecks.nonNegative("recoveryWait", recoveryWait);
      if (fetchStepEveryNRuns < 1) {
        throw new IllegalArgumentException(
            "expected fetchStepEveryNRuns of at least 1, but got " + fetchStepEveryNRuns);
      }
      if (scaffold != null && scaffold.graph() != graph) {
        throw new IllegalArgumentException(
            "the scaffold is for another graph than the session's: build it with Scaffold.of(graph)"
                + " for the graph given to MonitoredTrainingSession.builder");
      }
    }

    /** The chief's default hooks (MTS-5), in TensorFlow's order; a frequency of 0 turns one off. */
    private List<SessionRunHook> defaultHooks(Scaffold sc) {
      List<SessionRunHook> defaults = new ArrayList<>();
      Path summaryPath = summaryDir != null ? summaryDir : checkpointDir;
      if (summaryPath != null) {
        if (logStepCountSteps > 0) {
          defaults.add(
              StepCounterHook.builder().outputDir(summaryPath).everyNSteps(logStepCountSteps)
                  .clock(summaries.clock()).fetchStepEveryNRuns(fetchStepEveryNRuns).build());
        }
        Frequency every = summaries.orEverySteps(100);
        if (isOn(every)) {
          defaults.add(
              SummarySaverHook.builder().scaffold(sc).every(every).outputDir(summaryPath)
                  .fetchStepEveryNRuns(fetchStepEveryNRuns).build());
        }
      }
      if (checkpointDir != null) {
        Frequency every = checkpoints.isSet() ? checkpoints : checkpoints.withSecs(600);
        if (isOn(every)) {
          defaults.add(
              CheckpointSaverHook.builder(checkpointDir).scaffold(sc).saveGraphDef(saveGraphDef)
                  .every(every).listeners(checkpointListeners).writeBeforeFirstStep(writeBeforeFirstStep)
                  .fetchStepEveryNRuns(fetchStepEveryNRuns).build());
        }
      }
      return defaults;
    }

    private static boolean isOn(Frequency f) {
      return f.steps().orElse(0) > 0 || f.secs().orElse(0) > 0;
    }
  }
}

package dev.tfmon.cli;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.session.StopRequestedException;
import dev.tfmon.summary.SummaryWriterCache;
import dev.tfmon.summary.Summaries;
import java.io.PrintWriter;
import java.time.Duration;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TNumber;

/**
 * The training loop of {@code tfmon train}: a {@link MonitoredTrainingSession} with the progress
 * hook, the step limit and the operator's monitoring, run until the limit, the end of the input,
 * a signal or a JMX stop; then the evaluation. It reports what happened as an {@link Outcome}.
 *
 * <p>The session writes nothing into the model directory before its first step has succeeded
 * ({@code writeBeforeFirstStep(false)}), and a run with nothing to do opens no session at all: a
 * run that fails early, or has no step to run, leaves the directory as it was.
 *
 * <pre>{@code
 * TrainingRun.Outcome outcome = new TrainingRun(settings, export, out).run(graph, task, startStep);
 * }</pre>
 */
final class TrainingRun {
  private final TrainSettings settings;
  private final ExportOptions export;
  private final PrintWriter out;

  TrainingRun(TrainSettings settings, ExportOptions export, PrintWriter out) {
    this.settings = settings;
    this.export = export;
    this.out = out;
  }

  /**
   * What a run did.
   *
   * @param startStep the global step restored (0 from scratch)
   * @param nothingToDo the step limit was already reached: no session was opened
   * @param reached the global step reached
   * @param lastLoss the loss of the last step, or NaN
   * @param accuracy the evaluation accuracy, or null
   * @param evalExamples how many examples the accuracy covers
   * @param finalGlobalStep on a cluster, the shared global step at the end; else -1
   * @param signal the stop signal received ("SIGTERM"), or null
   * @param exitCode 0, or 128 + the signal's number
   * @param stoppedThroughJmx a JMX client asked the run to stop
   * @param evaluation the evaluation during training, or null
   */
  record Outcome(
      long startStep, boolean nothingToDo, long reached, double lastLoss, Float accuracy, int evalExamples, long finalGlobalStep,
      String signal, int exitCode, boolean stoppedThroughJmx, TrainingEvaluation evaluation) {}

  Outcome run(Graph graph, TrainingTask task, long startStep) {
    long last = settings.lastStep();
    if (last >= 0 && startStep >= last) {
      out.printf("the global step %d already reached --max-steps %d: nothing to train (raise --max-steps to go on)%n",
          startStep, last);
      out.flush();
      return new Outcome(startStep, true, startStep, Double.NaN, null, 0, -1, null, 0, false, null);
    }
    long progressEnd = last;
    if (settings.epochs() != null) {
      long epochEnd = startStep + settings.epochs() * task.batchesPerEpoch();
      progressEnd = last < 0 ? epochEnd : Math.min(last, epochEnd);
    }
    StopSignals signals = StopSignals.install(System.err);
    Progress progress =
        new Progress(out, Terminal.detect(), startStep, progressEnd, settings.logSteps(), System::nanoTime);
    if (settings.summarySteps() > 0) {
      // Summary ops in the graph: the Scaffold merges them and SummarySaverHook writes them.
      task.scalars().forEach((tag, op) -> Summaries.scalar(graph, tag, numeric(op)));
    }
    ProgressHook progressHook = new ProgressHook(task.loss(), progress);
    MonitoredTrainingSession.Builder mts = sessionBuilder(graph, task, progressHook, progress);
    Output<TInt64> globalStep = settings.distributed() != null ? GlobalStep.readTensor(graph) : null;
    long finalGlobalStep = -1;
    Float accuracy = null;
    boolean jmxStop;
    try (TrainingMonitoring monitoring = TrainingMonitoring.open(mts, graph, task, settings, out)) {
      MonitoredSession session = monitoring.session();
      session.runUntilStopped(
          s -> {
            if (signals.stopRequested()) {
              throw new StopRequestedException();
            }
            task.step().run((MonitoredSession) s);
          });
      if (globalStep != null) {
        try (RunResult r = session.runWithoutHooks(SessionRunArgs.fetch(globalStep))) {
          finalGlobalStep = ((TInt64) r.get(0)).getObject();
        }
        if (progressHook.lastStep() >= 0) {
          // the hook only counts this worker's runs since its last read; the others stepped too
          progress.note(finalGlobalStep, progressHook.lastLoss());
        }
      }
      progress.finish();
      if (task.evalAccuracy() != null) {
        try (RunResult r = session.runWithoutHooks(SessionRunArgs.fetch(task.evalAccuracy()))) {
          accuracy = ((TFloat32) r.get(0)).getFloat();
        }
      }
      jmxStop = monitoring.stopRequested();
    }
    long reached = progressHook.lastStep() >= 0 ? progressHook.lastStep() : startStep;
    return new Outcome(startStep, false, reached, progressHook.lastLoss(), accuracy, task.evalExamples(), finalGlobalStep,
        signals.received(), signals.stopRequested() ? signals.exitCode() : 0, jmxStop, task.evaluation());
  }

  private MonitoredTrainingSession.Builder sessionBuilder(
      Graph graph, TrainingTask task, ProgressHook progressHook, Progress progress) {
    // The hooks' summary writers come from the cache: they take this interval when created.
    SummaryWriterCache.setFlushSecs(settings.flushSecs());
    MonitoredTrainingSession.Builder mts =
        MonitoredTrainingSession.builder(graph)
            .checkpointDir(settings.modelDir())
            .scaffold(task.scaffold())
            .saveSummariesSteps(settings.summarySteps())
            .logStepCountSteps(settings.summarySteps())
            // nothing in the model directory changes before a step has succeeded
            .writeBeforeFirstStep(false)
            // TrainCommand holds the directory's lock from before the graph is built
            .lockCheckpointDir(false)
            // the command's own hooks are not the user's to tune: no cost warning about them
            .hookCostWarningShare(1.0);
    if (task.evaluation() != null) {
      // before the progress hook: a progress line shows the evaluation made at its own step
      task.evaluation().install(mts, settings.isChief(), r -> progress.evaluated(r.globalStep(), r.scalars()));
    }
    mts.hook(progressHook).hooks(task.hooks());
    if (settings.checkpointSecs() != null) {
      mts.saveCheckpointSecs(settings.checkpointSecs());
    } else {
      mts.saveCheckpointSteps(settings.checkpointSteps());
    }
    if (settings.lastStep() >= 0) {
      mts.hook(StopAtStepHook.lastStep(settings.lastStep()));
    }
    if (settings.distributed() != null) {
      // Each worker talks to its own server; the device filters keep its sessions to the ps tasks
      // and itself, and a short recovery wait lets a non-chief start soon after the chief's init.
      mts.master(settings.server().target())
          .isChief(settings.isChief())
          .config(settings.distributed().placement().sessionConfig(settings.distributed().task()))
          .recoveryWait(Duration.ofMillis(500));
    }
    export.addTo(mts);
    return mts;
  }

  @SuppressWarnings("unchecked")
  private static Operand<? extends TNumber> numeric(Operand<?> op) {
    return (Operand<? extends TNumber>) op;
  }
}

package dev.tfmon.eval;

import dev.tfmon.hook.Hooks;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.testing.ChildJvm;
import java.io.PrintStream;
import java.nio.file.Path;
import org.tensorflow.Graph;

/**
 * Trains {@link PlateauModel} with in-process evaluation every 10 steps, early stopping (loss,
 * patience 3, rebuilt from the ledger), the two best checkpoints kept, checkpoints every 10 steps
 * (the default rolling five), at most 300 steps (issue 12). Prints {@code EVAL step=s loss=v}
 * after each evaluation, {@code STEP step=s} every 5 steps, then {@code STOPPED step=s best=b} if
 * early stopping fired and {@code DONE step=s}.
 *
 * <p>Arguments: {@code <model dir> <milliseconds to sleep per step> [<hang at step>]}: with the
 * third, the process prints {@code HANGING step=s} after that step and waits there until killed,
 * so a test can kill it at a known point between two evaluations.
 */
public final class PlateauTrainerMain {
  private PlateauTrainerMain() {}

  public static void main(String[] args) {
    ChildJvm.exitWhenParentDies();
    run(Path.of(args[0]), Long.parseLong(args[1]), args.length > 2 ? Long.parseLong(args[2]) : -1, System.out);
    System.exit(0);
  }

  /** What a run ended with. */
  record Outcome(long step, EarlyStopping.Decision decision) {}

  static Outcome run(Path modelDir, long sleepMillis, PrintStream out) {
    return run(modelDir, sleepMillis, -1, out);
  }

  static Outcome run(Path modelDir, long sleepMillis, long hangAt, PrintStream out) {
    try (Graph graph = new Graph()) {
      PlateauModel model = PlateauModel.build(graph);
      Scaffold scaffold = Scaffold.of(graph);
      MetricGoal loss = MetricGoal.min("loss");
      EvaluationLedger ledger = EvaluationLedger.forModelDir(modelDir, "");
      EarlyStoppingHook earlyStop = EarlyStoppingHook.builder(loss).patience(3).ledger(ledger).build();
      Evaluation evaluation = Evaluation.builder(modelDir, PlateauModel.evalModel())
          .maxBatches(1)
          .listener(BestCheckpoints.builder(modelDir).keep(2).goal(loss).build())
          .listener(earlyStop)
          .build();
      EvaluationHook evalHook = EvaluationHook.builder(evaluation).everySteps(10).scaffold(scaffold)
          .observer(r -> print(out, "EVAL step=" + r.globalStep() + " loss=" + r.scalar("loss")))
          .build();
      long[] step = {-1};
      try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
          .checkpointDir(modelDir)
          .scaffold(scaffold)
          .saveCheckpointSteps(10)
          .saveSummariesSteps(0)
          .logStepCountSteps(0)
          .writeBeforeFirstStep(false)
          .hook(StopAtStepHook.lastStep(300))
          .hook(evalHook)
          .hook(earlyStop)
          .hook(Hooks.afterRun("pace", (ctx, values) -> {
            long s = dev.tfmon.graph.GlobalStep.value(ctx.session());
            step[0] = s;
            if (s % 5 == 0) {
              print(out, "STEP step=" + s);
            }
            pause(sleepMillis);
            if (s == hangAt) {
              print(out, "HANGING step=" + s);
              pause(600_000);   // the test kills it long before
              System.exit(4);
            }
          }))
          .build()) {
        session.runUntilStopped(s -> s.run(model.train()));
      }
      EarlyStopping.Decision d = earlyStop.decision().orElse(null);
      if (d != null) {
        print(out, "STOPPED step=" + d.step() + " best=" + d.bestStep());
      }
      print(out, "DONE step=" + step[0]);
      return new Outcome(step[0], d);
    }
  }

  private static void pause(long millis) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static synchronized void print(PrintStream out, String line) {
    out.println(line);
    out.flush();
  }
}

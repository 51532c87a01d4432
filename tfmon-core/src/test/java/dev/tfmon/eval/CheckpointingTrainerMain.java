package dev.tfmon.eval;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.hook.Hooks;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.testing.ChildJvm;
import java.nio.file.Path;
import org.tensorflow.Graph;

/**
 * Trains {@link PlateauModel} with a checkpoint every 5 steps (all kept) up to a last step, pausing
 * after each step, and nothing else: the training process a sidecar evaluator watches (issue 12).
 * Prints {@code DONE} at the end.
 *
 * <p>Arguments: {@code <model dir> <last step> <milliseconds to sleep per step>}.
 */
public final class CheckpointingTrainerMain {
  private CheckpointingTrainerMain() {}

  public static void main(String[] args) throws Exception {
    ChildJvm.exitWhenParentDies();
    Path modelDir = Path.of(args[0]);
    long lastStep = Long.parseLong(args[1]);
    long sleep = Long.parseLong(args[2]);
    try (Graph graph = new Graph()) {
      PlateauModel model = PlateauModel.build(graph);
      Scaffold scaffold = Scaffold.builder(graph).saver(Saver.builder(graph).maxToKeep(1000).build()).build();
      try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
          .checkpointDir(modelDir)
          .scaffold(scaffold)
          .saveCheckpointSteps(5)
          .saveSummariesSteps(0)
          .logStepCountSteps(0)
          .hook(StopAtStepHook.lastStep(lastStep))
          .hook(Hooks.afterRun("pace", (ctx, values) -> sleep(sleep)))
          .build()) {
        session.runUntilStopped(s -> s.run(model.train()));
      }
    }
    System.out.println("DONE");
    System.out.flush();
    System.exit(0);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

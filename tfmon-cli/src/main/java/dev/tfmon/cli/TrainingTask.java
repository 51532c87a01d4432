package dev.tfmon.cli;

import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.scaffold.Scaffold;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * What {@code tfmon train} trains, built into a graph: the built-in classifier or a Python meta
 * graph, reduced to what the loop needs.
 *
 * <pre>{@code
 * TrainingTask task = new TrainingTask(scaffold, Map.of("loss", loss), 38, s -> s.run(trainOp).close(), null, 0, () -> {}, null,
 *     List.of());
 * }</pre>
 *
 * @param scaffold the saver and init ops
 * @param scalars the summaries, the first being the loss shown in the progress
 * @param batchesPerEpoch steps per pass over the data
 * @param step one training step on the monitored session
 * @param evalAccuracy the accuracy on held-out examples, or null
 * @param evalExamples how many examples {@code evalAccuracy} covers
 * @param resources closed after training (fed tensors)
 * @param evaluation evaluation during training ({@code --eval-every}), or null
 * @param hooks the task's own hooks (the synchronous replicas' hook), run with the command's
 */
record TrainingTask(
    Scaffold scaffold,
    Map<String, Operand<?>> scalars,
    long batchesPerEpoch,
    Step step,
    Operand<TFloat32> evalAccuracy,
    int evalExamples,
    AutoCloseable resources,
    TrainingEvaluation evaluation,
    List<SessionRunHook> hooks) implements AutoCloseable {

  /** One training step on the monitored session (with hooks). */
  @FunctionalInterface
  interface Step {
    void run(MonitoredSession session);
  }

  /** The loss shown in the progress. */
  Operand<?> loss() {
    return scalars.values().iterator().next();
  }

  @Override
  public void close() {
    try {
      resources.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot free the training inputs: " + e.getMessage(), e);
    }
  }
}

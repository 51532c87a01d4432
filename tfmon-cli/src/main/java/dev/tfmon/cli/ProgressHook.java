package dev.tfmon.cli;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.SessionRunArgs;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * Fetches the loss with every training run, reads the global step after it, and hands both to
 * {@link Progress}.
 *
 * <pre>{@code
 * SessionRunHook progress = new ProgressHook(loss, display);
 * }</pre>
 */
final class ProgressHook implements SessionRunHook {
  private final Progress progress;
  private final SessionRunArgs args;
  private long lastStep = -1;
  private double lastLoss = Double.NaN;

  ProgressHook(Operand<?> loss, Progress progress) {
    this.progress = progress;
    this.args = SessionRunArgs.fetch(loss);
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return args;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    // Read after the run, not fetched with it: in a graph imported from Python nothing orders the
    // train op's AssignAdd after a read fetched in the same run, so such a read is racy.
    lastStep = GlobalStep.value(context.session());
    lastLoss = scalar(values.get(0));
    progress.update(lastStep, lastLoss);
  }

  /** The global step after the last run, or -1 before the first. */
  long lastStep() {
    return lastStep;
  }

  /** The loss of the last run, or NaN before the first. */
  double lastLoss() {
    return lastLoss;
  }

  private static double scalar(Tensor t) {
    if (t instanceof TFloat32) {
      return ((TFloat32) t).getFloat();
    }
    if (t instanceof TFloat64) {
      return ((TFloat64) t).getDouble();
    }
    throw CliException.failure("expected a float32 or float64 loss, but got " + t.dataType() + " " + t.shape());
  }
}

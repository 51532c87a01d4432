package dev.tfmon.cli;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import org.tensorflow.Operand;

/**
 * Fetches the loss with every training run and hands it, with the global step, to {@link
 * Progress}.
 *
 * <p>The global step is read on its own, after a run, and only when a line is due: in a graph
 * imported from Python nothing orders the train op's increment after a read fetched in the same
 * run (such a read is racy), and a separate read every step would cost more than the step of a
 * small model. Between reads the step is counted (one per run), and corrected at the next read.
 *
 * <pre>{@code
 * SessionRunHook progress = new ProgressHook(loss, display);
 * }</pre>
 */
final class ProgressHook implements SessionRunHook {
  private final Progress progress;
  private final Operand<?> loss;
  private final SessionRunArgs args;
  private long base = -1;
  private long runsSinceRead;
  private double lastLoss = Double.NaN;
  private boolean ran;

  ProgressHook(Operand<?> loss, Progress progress) {
    this.progress = progress;
    this.loss = loss;
    this.args = SessionRunArgs.fetch(loss);
  }

  @Override
  public void begin(BeginContext context) {
    // Created while the graph can still change; GlobalStep.value runs it after each due run.
    GlobalStep.readTensor(context.graph());
  }

  @Override
  public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
    base = GlobalStep.value(session);
    runsSinceRead = 0;
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return args;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    ran = true;
    lastLoss = lossOf(values);
    runsSinceRead++;
    long estimate = base + runsSinceRead;
    if (progress.isDue(estimate)) {
      base = GlobalStep.value(context.session());
      runsSinceRead = 0;
      progress.update(base, lastLoss);
    } else {
      progress.note(estimate, lastLoss);
    }
  }

  @Override
  public void end(RunnableSession session) {
    base = GlobalStep.value(session);
    runsSinceRead = 0;
    if (ran) {
      progress.note(base, lastLoss);
    }
  }

  /** The global step after the last run (exact once the session has closed cleanly), or -1. */
  long lastStep() {
    return ran ? base + runsSinceRead : -1;
  }

  /** The loss of the last run, or NaN before the first. */
  double lastLoss() {
    return lastLoss;
  }

  private double lossOf(SessionRunValues values) {
    try {
      return values.getDouble(loss);
    } catch (IllegalArgumentException notAFloatScalar) {
      throw CliException.failure("cannot show the loss: " + notAFloatScalar.getMessage(), notAFloatScalar);
    }
  }
}

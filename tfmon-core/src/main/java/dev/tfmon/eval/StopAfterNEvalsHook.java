package dev.tfmon.eval;

import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Operand;

/**
 * Stops an evaluation loop after a number of batches, counted by the evaluation's {@code
 * eval_step} local variable (TensorFlow 1.x's {@code _StopAfterNEvalsHook}); with no limit it only
 * logs the progress. Progress is logged ten times per evaluation (every batch below 20 batches).
 *
 * <pre>{@code
 * SessionRunHook stop = new StopAfterNEvalsHook(100L, evalStepValue);   // evalStepValue: int64 scalar
 * }</pre>
 */
public final class StopAfterNEvalsHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(StopAfterNEvalsHook.class);

  private final Long numEvals;
  private final Operand<?> evalsCompleted;
  private final long logEvery;
  private final SessionRunArgs args;

  /**
   * @param numEvals the number of batches to run, or null to run until the input ends
   * @param evalsCompleted an integer scalar that holds the batches completed after each run
   * @throws IllegalArgumentException if {@code numEvals} is not positive
   */
  public StopAfterNEvalsHook(Long numEvals, Operand<?> evalsCompleted) {
    if (numEvals != null && numEvals < 1) {
      throw new IllegalArgumentException("expected numEvals >= 1 (or null for no limit), but got " + numEvals);
    }
    this.numEvals = numEvals;
    this.evalsCompleted = Objects.requireNonNull(evalsCompleted, "evalsCompleted");
    this.logEvery = numEvals == null || numEvals < 20 ? 1 : numEvals / 10;
    this.args = SessionRunArgs.fetch(evalsCompleted);
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return args;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    long done = values.getLong(evalsCompleted);
    if (numEvals == null) {
      LOG.debug("Evaluation [{}]", done);
      return;
    }
    if (done % logEvery == 0 || done == numEvals) {
      LOG.debug("Evaluation [{}/{}]", done, numEvals);
    }
    if (done >= numEvals) {
      context.requestStop();
    }
  }
}

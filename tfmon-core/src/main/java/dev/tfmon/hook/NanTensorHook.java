package dev.tfmon.hook;

import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;

/**
 * Checks the loss after every run: on NaN (not infinity) it fails the run with {@link
 * NanLossDuringTrainingException}, or, with {@code failOnNanLoss} false, logs a warning and
 * requests a stop (TensorFlow 1.x's {@code NanTensorHook}).
 *
 * <pre>{@code
 * session = MonitoredTrainingSession.builder(graph).hook(new NanTensorHook(loss)).build();
 * }</pre>
 */
public final class NanTensorHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(NanTensorHook.class);

  private final SessionRunArgs args;
  private final String lossName;
  private final boolean failOnNanLoss;

  /** Fails on a NaN loss. */
  public NanTensorHook(Operand<?> loss) {
    this(loss, true);
  }

  /**
   * @param loss a floating-point scalar
   * @param failOnNanLoss true to throw, false to request a stop
   */
  public NanTensorHook(Operand<?> loss, boolean failOnNanLoss) {
    this.args = SessionRunArgs.fetch(Objects.requireNonNull(loss, "loss"));
    this.lossName = GraphNames.tensorName(loss);
    this.failOnNanLoss = failOnNanLoss;
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return args;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    if (!isNan(values.get(0))) {
      return;
    }
    if (failOnNanLoss) {
      LOG.error("the loss {} is NaN: the model diverged; failing the run", lossName);
      throw new NanLossDuringTrainingException();
    }
    LOG.warn("the loss {} is NaN: the model diverged; stopping the training", lossName);
    context.requestStop();
  }

  private static boolean isNan(Tensor t) {
    if (t instanceof NdArray && t.shape().numDimensions() == 0) {
      Object v = ((NdArray<?>) t).getObject();
      return v instanceof Number && Double.isNaN(((Number) v).doubleValue());
    }
    if (t instanceof NdArray) {
      // Python's np.isnan on a non-scalar loss is an array whose truth value is ambiguous; any NaN counts here.
      boolean[] found = {false};
      ((NdArray<?>) t).scalars().forEach(s -> {
        Object v = s.getObject();
        if (v instanceof Number && Double.isNaN(((Number) v).doubleValue())) {
          found[0] = true;
        }
      });
      return found[0];
    }
    return false;
  }
}

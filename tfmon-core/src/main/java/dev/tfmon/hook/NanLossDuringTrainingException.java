package dev.tfmon.hook;

/**
 * Thrown by {@link NanTensorHook} when the loss is NaN (TensorFlow 1.x's {@code
 * NanLossDuringTrainingError}); the run that produced the NaN loss fails with it.
 *
 * <pre>{@code
 * try { session.runUntilStopped(s -> s.run(trainOp)); }
 * catch (NanLossDuringTrainingException e) { restartWithLowerLearningRate(); }
 * }</pre>
 */
public class NanLossDuringTrainingException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public NanLossDuringTrainingException() {
    super("the loss became NaN during training: the model diverged (a lower learning rate, or"
        + " clipping gradients, may help)");
  }
}

package dev.tfmon.hook;

/**
 * Thrown by {@link NanTensorHook} when the loss is NaN (TensorFlow 1.x's {@code
 * NanLossDuringTrainingError}); its message is {@code "NaN loss during training."}.
 *
 * <pre>{@code
 * try { session.runUntilStopped(s -> s.run(trainOp)); }
 * catch (NanLossDuringTrainingException e) { restartWithLowerLearningRate(); }
 * }</pre>
 */
public class NanLossDuringTrainingException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public NanLossDuringTrainingException() {
    super("NaN loss during training.");
  }
}

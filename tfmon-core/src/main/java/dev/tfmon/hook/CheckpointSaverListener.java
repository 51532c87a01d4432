package dev.tfmon.hook;

import dev.tfmon.runtime.RunnableSession;

/**
 * Called around the saves of a {@link CheckpointSaverHook} (TensorFlow 1.x's {@code
 * CheckpointSaverListener}); every method is a no-op by default.
 *
 * <pre>{@code
 * CheckpointSaverListener exportAfterSave = new CheckpointSaverListener() {
 *   public boolean afterSave(RunnableSession session, long step) { export(step); return step >= 10_000; }
 * };
 * }</pre>
 */
public interface CheckpointSaverListener {
  /** Called from the hook's {@code begin}. */
  default void begin() {}

  /** Called before each save at global step {@code step}. */
  default void beforeSave(RunnableSession session, long step) {}

  /**
   * Called after each save.
   *
   * @return true to request that training stop
   */
  default boolean afterSave(RunnableSession session, long step) {
    return false;
  }

  /** Called from the hook's {@code end}, after the final save. */
  default void end(RunnableSession session, long step) {}
}

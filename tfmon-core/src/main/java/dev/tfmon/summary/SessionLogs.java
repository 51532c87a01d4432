package dev.tfmon.summary;

import java.util.Objects;
import org.tensorflow.proto.SessionLog;

/**
 * The {@link SessionLog}s TensorFlow's training stack writes: START (SummarySaverHook's first
 * {@code after_run}; TensorBoard discards events of a crashed run with larger steps), CHECKPOINT
 * (CheckpointSaverHook on every save, with the checkpoint prefix without step suffix), STOP.
 *
 * <pre>{@code
 * writer.addSessionLog(SessionLogs.checkpoint(dir.resolve("model.ckpt").toString()), step);
 * }</pre>
 */
public final class SessionLogs {
  private SessionLogs() {}

  /** {@code SessionLog{status: START}}. */
  public static SessionLog start() {
    return SessionLog.newBuilder().setStatus(SessionLog.SessionStatus.START).build();
  }

  /** {@code SessionLog{status: STOP}}. */
  public static SessionLog stop() {
    return SessionLog.newBuilder().setStatus(SessionLog.SessionStatus.STOP).build();
  }

  /**
   * {@code SessionLog{status: CHECKPOINT, checkpoint_path}}; CheckpointSaverHook passes its save
   * path, {@code <checkpoint_dir>/model.ckpt}, not the step-suffixed prefix.
   */
  public static SessionLog checkpoint(String checkpointPath) {
    Objects.requireNonNull(checkpointPath, "checkpointPath");
    return SessionLog.newBuilder()
        .setStatus(SessionLog.SessionStatus.CHECKPOINT)
        .setCheckpointPath(checkpointPath)
        .build();
  }
}

package dev.tfmon.checkpoint;

import java.util.List;
import java.util.Objects;

/**
 * The contents of a {@code checkpoint} state file ({@code CheckpointState} in TensorFlow): the
 * newest checkpoint, every checkpoint still kept (oldest first, the newest last), their save times
 * in seconds since the epoch, and the time of the last checkpoint kept forever by {@code
 * keep_checkpoint_every_n_hours}.
 *
 * <pre>{@code
 * Checkpoints.checkpointState(dir).ifPresent(s -> System.out.println(s.modelCheckpointPath()));
 * }</pre>
 *
 * @param modelCheckpointPath the newest checkpoint prefix
 * @param allModelCheckpointPaths the kept checkpoint prefixes, oldest first
 * @param allModelCheckpointTimestamps one save time per kept path, or empty (TF 1.x Savers write none)
 * @param lastPreservedTimestamp the last preserved time, or 0 when the file has none
 */
public record CheckpointState(
    String modelCheckpointPath,
    List<String> allModelCheckpointPaths,
    List<Double> allModelCheckpointTimestamps,
    double lastPreservedTimestamp) {

  public CheckpointState {
    Objects.requireNonNull(modelCheckpointPath, "modelCheckpointPath");
    allModelCheckpointPaths = List.copyOf(allModelCheckpointPaths);
    allModelCheckpointTimestamps = List.copyOf(allModelCheckpointTimestamps);
  }

  /** A state naming one checkpoint, without timestamps. */
  public static CheckpointState of(String modelCheckpointPath) {
    return new CheckpointState(modelCheckpointPath, List.of(modelCheckpointPath), List.of(), 0);
  }
}

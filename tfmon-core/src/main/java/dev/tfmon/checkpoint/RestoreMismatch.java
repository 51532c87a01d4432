package dev.tfmon.checkpoint;

import java.util.Objects;

/**
 * One way a checkpoint does not fit what a graph's saver would restore from it: a tensor missing,
 * or stored with another dtype or shape, or a partitioned variable whose slices differ.
 *
 * <pre>{@code
 * for (RestoreMismatch m : Checkpoints.mismatches(graph, "/train/model.ckpt-30")) {
 *   System.err.println(m.describe());   // variable 'w': the graph expects float32 [2], the checkpoint has ...
 * }
 * }</pre>
 *
 * @param key the tensor's name in the checkpoint
 * @param slice the slice the graph restores ({@code "0,2:-"}), or {@code ""} for the whole tensor
 * @param variable the graph's variable op it is restored into, or {@code ""} if the graph does not say
 * @param expected what the graph expects, e.g. {@code "float32 [6, 1]"} or {@code "float32 [6, 1]
 *     slice 0,2:-"}
 * @param found what the checkpoint holds, or null when the tensor is missing
 */
public record RestoreMismatch(String key, String slice, String variable, String expected, String found) {

  public RestoreMismatch {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(slice, "slice");
    Objects.requireNonNull(variable, "variable");
    Objects.requireNonNull(expected, "expected");
  }

  /** True if the checkpoint has no tensor of that name. */
  public boolean missing() {
    return found == null;
  }

  /** One sentence naming the tensor, what the graph expects and what the checkpoint has. */
  public String describe() {
    if (missing()) {
      return "variable '" + key + "' (" + expected + ") is missing from the checkpoint";
    }
    return "variable '" + key + "': the graph expects " + expected + ", the checkpoint has " + found;
  }
}

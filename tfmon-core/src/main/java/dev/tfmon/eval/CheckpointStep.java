package dev.tfmon.eval;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.Scalars;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Tensor;

/**
 * The global step a checkpoint was saved at: its {@code global_step} tensor, else the {@code
 * -<step>} suffix of its name (what {@code Saver.save} appends).
 */
final class CheckpointStep {
  private static final Pattern SUFFIX = Pattern.compile("-(\\d+)$");

  private CheckpointStep() {}

  /** Empty if the checkpoint cannot be read and its name has no step suffix. */
  static OptionalLong of(String prefix) {
    try (CheckpointReader reader = CheckpointReader.open(prefix)) {
      if (reader.has(GlobalStep.NAME)) {
        try (Tensor t = reader.read(GlobalStep.NAME)) {
          return OptionalLong.of(Scalars.longOf(t, () -> prefix + " " + GlobalStep.NAME));
        }
      }
    } catch (TensorFlowStatusException | IllegalArgumentException unreadable) {
      // fall back on the name
    }
    Matcher m = SUFFIX.matcher(prefix);
    return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }
}

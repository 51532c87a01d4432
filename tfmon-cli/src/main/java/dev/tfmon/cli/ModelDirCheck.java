package dev.tfmon.cli;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.VariableInfo;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.graph.DataTypes;
import dev.tfmon.runtime.Scalars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * Looks at a model directory before training touches it: the checkpoint it would resume from, and
 * whether that checkpoint holds this graph's variables. A mismatch fails here, naming the
 * variables, before any file in the directory is written.
 */
final class ModelDirCheck {
  private ModelDirCheck() {}

  /** What the directory holds: the checkpoint to resume from and its global step, if any. */
  record Resume(String checkpoint, long step) {}

  /**
   * The checkpoint training will resume from, checked against {@code graph}'s variables.
   *
   * @throws CliException usage error if the path is a file; failure if its checkpoints are
   *     damaged or belong to another model
   */
  static Optional<Resume> check(Path modelDir, Graph graph) {
    if (Files.exists(modelDir) && !Files.isDirectory(modelDir)) {
      throw CliException.usage("--model-dir " + modelDir + ": exists and is not a directory");
    }
    if (!Files.isDirectory(modelDir)) {
      return Optional.empty();
    }
    Optional<String> newest;
    try {
      newest = Checkpoints.newestRestorable(modelDir);
    } catch (TensorFlowStatusException e) {
      throw CliException.failure("--model-dir " + modelDir + ": " + e.firstLine(), e);
    }
    if (newest.isEmpty()) {
      return Optional.empty();
    }
    String prefix = newest.get();
    List<String> problems = new ArrayList<>();
    long step = 0;
    try (CheckpointReader reader = CheckpointReader.open(prefix)) {
      for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (!op.type().equals("VariableV2")) {
          continue;
        }
        DataType dtype = DataTypes.base(op.output(0).dataType());
        Shape shape = op.output(0).shape();
        VariableInfo stored = reader.variables().get(op.name());
        String here = new VariableInfo(op.name(), dtype, shape, 0, 0, 0, 0).describe();
        if (stored == null) {
          problems.add(op.name() + " (" + here + ") is missing there");
        } else if (stored.dataType() != dtype || !stored.shape().equals(shape)) {
          problems.add(op.name() + " is " + stored.describe() + " there but " + here + " here");
        }
      }
      if (reader.has("global_step")) {
        try (var t = reader.read("global_step")) {
          step = Scalars.longOf(t, () -> "global_step");
        }
      }
    } catch (TensorFlowStatusException e) {
      throw CliException.failure("cannot read checkpoint " + prefix + ": " + e.firstLine(), e);
    }
    if (!problems.isEmpty()) {
      int shown = Math.min(problems.size(), 4);
      throw CliException.failure(
          "--model-dir " + modelDir + " holds a checkpoint of a different model (" + Path.of(prefix).getFileName()
              + "): " + String.join("; ", problems.subList(0, shown))
              + (problems.size() > shown ? "; and " + (problems.size() - shown) + " more" : "")
              + ". Use another --model-dir, or the options that model was trained with");
    }
    return Optional.of(new Resume(prefix, step));
  }
}

package dev.tfmon.cli;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.RestoreMismatch;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.runtime.Scalars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.tensorflow.Graph;

/**
 * Looks at a model directory before training touches it: the checkpoint it would resume from, and
 * whether that checkpoint holds what the graph's saver restores ({@link Checkpoints#mismatches},
 * slices of partitioned variables included). A mismatch fails here, naming the variables, before
 * any file in the directory is written.
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
      for (RestoreMismatch m : Checkpoints.mismatches(graph, reader)) {
        problems.add(m.missing()
            ? m.key() + " (" + m.expected() + ") is missing there"
            : m.key() + " is " + m.found() + " there but " + m.expected() + " here");
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

package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.testing.UnwritableDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, bad input from the command line: a signature naming a missing tensor, an export
 * directory that exists and is not empty, a base directory that cannot be written, a checkpoint
 * that does not match the graph, export options without {@code --export-dir}. One line each, and
 * nothing is created or changed.
 */
@Tag("multiprocess")
class ExportBadInputCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  @TempDir Path work;

  private CliProcess.Result tfmon(String... args) {
    return CliProcess.run(work, TIMEOUT, args);
  }

  private static void assertOneLineError(CliProcess.Result r, int exitCode, String message) {
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(exitCode);
    // (the native library may print its own lines first, whatever TF_CPP_MIN_LOG_LEVEL says)
    List<String> errors = r.err().lines().filter(l -> l.startsWith("tfmon:")).toList();
    assertThat(errors).as(r.toString()).hasSize(1);
    assertThat(errors.get(0)).startsWith("tfmon: error: " + message);
    assertThat(r.err()).doesNotContain("\tat ");
  }

  private static String[] listing(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
    }
  }

  @Test
  void signatureNamingAMissingTensor() throws IOException {
    Path lr = InteropDir.copy("linear-ref", work.resolve("lr"));
    Path exports = work.resolve("exports");
    assertOneLineError(
        tfmon("export", "--model-dir", lr.toString(), "--export-dir", exports.toString(), "--export-input", "x=x",
            "--export-output", "pred=prediction:0"),
        2, "signature 'serving_default' output 'pred' names tensor 'prediction:0', but the graph has no operation named 'prediction'");
    assertOneLineError(
        tfmon("export", "--model-dir", lr.toString(), "--export-dir", exports.toString()),
        2, "the graph records no serving signature: name its tensors with --export-input NAME=TENSOR and "
            + "--export-output NAME=TENSOR");
    assertThat(Files.exists(exports)).isFalse();
  }

  @Test
  void exportDirectoryThatExistsAndIsNotEmpty() throws IOException {
    Path lr = InteropDir.copy("linear-ref", work.resolve("lr"));
    Path taken = Files.createDirectories(work.resolve("exports/30"));
    Files.writeString(taken.resolve("model.txt"), "someone else's");
    assertOneLineError(
        tfmon("export", "--model-dir", lr.toString(), "--export-dir", work.resolve("exports").toString(),
            "--export-input", "x=x", "--export-output", "pred=pred"),
        2, "export directory " + taken + " already exists and is not empty; an export never replaces another "
            + "(remove it, or export at another global step)");
    assertThat(listing(work.resolve("exports"))).containsExactly("30");
    assertThat(listing(taken)).containsExactly("model.txt");
  }

  @Test
  void baseDirectoryThatCannotBeWritten() throws IOException {
    Path lr = InteropDir.copy("linear-ref", work.resolve("lr"));
    try (UnwritableDirectory unwritable = UnwritableDirectory.create(work.resolve("scratch"))) {
      Path base = unwritable.path();
      List<String> before = unwritable.entries();
      CliProcess.Result r = tfmon("export", "--model-dir", lr.toString(), "--export-dir", base.toString(),
          "--export-input", "x=x", "--export-output", "pred=pred");
      assertOneLineError(r, 2, "cannot write into export base directory " + base + ": ");
      assertThat(unwritable.entries()).isEqualTo(before);
    }
  }

  @Test
  void checkpointThatDoesNotMatchTheGraph() throws IOException {
    Path model = work.resolve("model");
    CliProcess.Result made = tfmon("train", "--model-dir", model.toString(), "--max-steps", "5", "--hidden", "8");
    assertThat(made.exitCode()).as(made.toString()).isZero();
    Path lrCheckpoint = InteropDir.get().resolve("linear-ref/model.ckpt-30");
    Path exports = work.resolve("exports");
    CliProcess.Result r = tfmon("export", "--model-dir", model.toString(), "--checkpoint", lrCheckpoint.toString(),
        "--meta-graph", model.resolve("model.ckpt-5.meta").toString(), "--export-dir", exports.toString());
    assertOneLineError(r, 1, "checkpoint " + lrCheckpoint + " does not match the graph of " + model.resolve("model.ckpt-5.meta")
        + ": ");
    assertThat(r.err()).contains("variable 'dense_0_bias' (float32 [8]) is missing from the checkpoint");
    assertThat(Files.exists(exports)).isFalse();
  }

  @Test
  void exportOptionsWithoutExportDirAndUnknownSignature() throws IOException {
    Path model = work.resolve("never");
    assertOneLineError(tfmon("train", "--model-dir", model.toString(), "--export-output", "p=serving/probabilities"),
        2, "--export-input, --export-output and --keep-exports need --export-dir");
    assertThat(Files.exists(model)).isFalse();
    assertOneLineError(tfmon("export", "--model-dir", work.toString()), 2,
        "missing --export-dir DIR: where the SavedModel goes (as DIR/<global step>/)");

    Path lr = InteropDir.copy("linear-ref", work.resolve("lr"));
    Path exports = work.resolve("exports");
    CliProcess.Result made = tfmon("export", "--model-dir", lr.toString(), "--export-dir", exports.toString(),
        "--export-input", "x=x", "--export-output", "pred=pred");
    assertThat(made.exitCode()).as(made.toString()).isZero();
    assertOneLineError(tfmon("predict", "--saved-model", exports.toString(), "--data", lr.resolve("data.csv").toString(),
        "--signature", "classify"), 2, "--signature 'classify' is not in " + exports.resolve("30") + "; its signatures are [serving_default]");
    assertOneLineError(tfmon("predict", "--saved-model", lr.toString(), "--data", lr.resolve("data.csv").toString()), 2,
        lr + " is not a SavedModel (no saved_model.pb) and holds no export <version>/saved_model.pb");
  }
}

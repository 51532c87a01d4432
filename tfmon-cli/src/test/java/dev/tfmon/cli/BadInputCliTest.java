package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input gives one line naming the value, exit code 2 (usage) or 1 (unusable input), and
 * leaves the model directory as it was.
 */
@Tag("multiprocess")
class BadInputCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  @TempDir Path work;

  private CliProcess.Result tfmon(String... args) {
    return CliProcess.run(work, TIMEOUT, args);
  }

  private static void assertOneLineError(CliProcess.Result r, int exitCode, String message) {
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(exitCode);
    String[] lines = r.err().split("\n");
    assertThat(lines[0]).isEqualTo("tfmon: error: " + message);
    assertThat(r.err()).doesNotContain("\tat ");
  }

  @Test
  void missingDataFileIsAUsageError() {
    Path missing = work.resolve("nope.csv");
    assertOneLineError(tfmon("train", "--data", missing.toString()), 2, "--data " + missing + ": no such file");
  }

  @Test
  void raggedCsvRowNamesTheLine() throws IOException {
    Path csv = Files.writeString(work.resolve("ragged.csv"), "a,b,label\n1,2,0\n3,4\n");
    assertOneLineError(tfmon("train", "--data", csv.toString()), 1,
        csv + " line 3: expected 3 fields (a,b,label), but got 2");
  }

  @Test
  void nonNumericCsvValueNamesLineAndColumn() throws IOException {
    Path csv = Files.writeString(work.resolve("text.csv"), "a,b,label\n1,abc,0\n");
    assertOneLineError(tfmon("train", "--data", csv.toString()), 1,
        csv + " line 2, column 2 'b': expected a number, but got 'abc'");
  }

  @Test
  void unknownLabelColumnListsTheColumns() throws IOException {
    Path csv = Files.writeString(work.resolve("ok.csv"), "a,b,label\n1,2,0\n3,4,1\n");
    assertOneLineError(tfmon("train", "--data", csv.toString(), "--label-column", "kind"), 2,
        "--label-column 'kind' is not a column of " + csv + "; columns: [a, b, label]");
  }

  @Test
  void aCheckpointOfADifferentModelNamesTheVariablesAndHarmsNothing() throws Exception {
    Path dir = work.resolve("small");
    CliProcess.Result made = tfmon("train", "--model-dir", dir.toString(), "--max-steps", "5", "--hidden", "8");
    assertThat(made.exitCode()).as(made.toString()).isZero();
    Map<String, String> before = digests(dir);

    CliProcess.Result r = tfmon("train", "--model-dir", dir.toString(), "--max-steps", "10", "--hidden", "16");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err())
        .startsWith("tfmon: error: --model-dir " + dir + " holds a checkpoint of a different model (model.ckpt-5): "
            + "dense_0_kernel is float32 [2, 8] there but float32 [2, 16] here; "
            + "dense_0_bias is float32 [8] there but float32 [16] here;");
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(digests(dir)).isEqualTo(before);
  }

  @Test
  void aMetaGraphWithoutTheNamedTrainOpNamesItAndHarmsNothing() throws Exception {
    Path dir = InteropDir.copy("linear-ref", work.resolve("linear-ref"));
    Map<String, String> before = digests(dir);
    CliProcess.Result r = tfmon("train", "--meta-graph", dir.resolve("model.ckpt-30.meta").toString(),
        "--data", dir.resolve("data.csv").toString(), "--feed", "x=f0,f1,f2,f3", "--feed", "y=y",
        "--train-op", "sgd_step", "--model-dir", dir.toString());
    assertOneLineError(r, 2, "--train-op 'sgd_step' is not an operation of " + dir.resolve("model.ckpt-30.meta")
        + "; its train_op collection holds [train_op]");
    assertThat(digests(dir)).isEqualTo(before);
  }

  @Test
  void aFeedOfAnUnknownPlaceholderListsThePlaceholders() throws Exception {
    Path dir = InteropDir.copy("linear-ref", work.resolve("linear-ref"));
    CliProcess.Result r = tfmon("train", "--meta-graph", dir.resolve("model.ckpt-30.meta").toString(),
        "--data", dir.resolve("data.csv").toString(), "--feed", "features=f0,f1,f2,f3", "--model-dir",
        work.resolve("out").toString());
    assertOneLineError(r, 2, "--feed features=...: no operation named 'features' in "
        + dir.resolve("model.ckpt-30.meta") + "; placeholders: [x, y]");
    assertThat(work.resolve("out")).doesNotExist();
  }

  @Test
  void badUsageExitsTwo() {
    CliProcess.Result unknown = tfmon("train", "--bogus");
    assertThat(unknown.exitCode()).isEqualTo(2);
    // issue 11 item 15: picocli's own errors start with "tfmon: error:" too
    assertThat(unknown.err()).isEqualTo("tfmon: error: Unknown option: '--bogus'\nTry 'tfmon train --help'.\n");
    assertOneLineError(tfmon("train", "--save-checkpoint-steps", "10", "--save-checkpoint-secs", "5"), 2,
        "--save-checkpoint-steps 10 and --save-checkpoint-secs 5 exclude each other; give one");
    CliProcess.Result none = tfmon();
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).startsWith("Usage: tfmon [-hqvV] [--log-level=LEVEL] [COMMAND]\n");
    CliProcess.Result help = tfmon("train", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).startsWith("Usage: tfmon train ").contains("--model-dir=DIR", "--meta-graph=FILE.meta");
  }

  @Test
  void missingPathsOfInspectEventsAndPlot() throws IOException {
    Path nowhere = work.resolve("nowhere");
    assertOneLineError(tfmon("inspect", nowhere.toString()), 2,
        "no checkpoint at " + nowhere + ": neither a directory nor a checkpoint prefix (" + nowhere + ".index does not exist)");
    assertOneLineError(tfmon("events", nowhere.toString()), 2, "event directory " + nowhere + ": no such file or directory");
    Path empty = Files.createDirectories(work.resolve("empty"));
    assertOneLineError(tfmon("plot", empty.toString(), "-o", work.resolve("x.png").toString()), 1,
        "no event files (events.out.tfevents.*) in " + empty + " or its subdirectories");
    assertThat(work.resolve("x.png")).doesNotExist();
  }

  @Test
  void verbosePrintsTheStackTrace() {
    CliProcess.Result r = tfmon("inspect", work.resolve("nowhere").toString(), "--verbose");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("tfmon: error: no checkpoint at ").contains("\tat dev.tfmon.cli.InspectCommand");
  }

  @Test
  void versionNamesTfmonAndTensorFlow() {
    CliProcess.Result r = tfmon("--version");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("tfmon 0.1.0-SNAPSHOT\nTensorFlow 2.18.0 (TensorFlow Java 1.1.0)\n");
  }

  /** File name → SHA-256 of every file under {@code dir}. */
  private static Map<String, String> digests(Path dir) throws Exception {
    return ModelDirSafetyCliTest.digests(dir);
  }
}

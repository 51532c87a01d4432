package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command as a user meets it: versions, logs, bad data, reproducible runs, completion. */
@Tag("multiprocess")
class CliUsabilityTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  @TempDir Path work;

  private CliProcess.Result tfmon(String... args) {
    return CliProcess.run(work, TIMEOUT, args);
  }

  private static void assertOneLineError(CliProcess.Result r, int exitCode, String message) {
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(exitCode);
    assertThat(r.err().lines().findFirst()).as(r.toString()).hasValue("tfmon: error: " + message);
    assertThat(r.err()).doesNotContain("\tat ");
  }

  // issue 11 item 15: -V prints the version on every command
  @Test
  void dashCapitalVPrintsTheVersionOnEverySubcommand() {
    for (String command : List.of("train", "inspect", "events", "plot", "server", "cluster")) {
      CliProcess.Result r = tfmon(command, "-V");
      assertThat(r.exitCode()).as(command + ": " + r).isZero();
      assertThat(r.out()).as(command).startsWith("tfmon 0.1.0-SNAPSHOT\nTensorFlow 2.18.0 (TensorFlow Java 1.1.0)\n");
    }
  }

  // issue 11 item 9: TensorFlow's native INFO lines stay out of a run's output; --verbose shows them
  @Test
  void nativeInfoLinesAreFilteredUnlessVerbose() {
    CliProcess.Result quiet = tfmon("train", "--model-dir", "a", "--max-steps", "5");
    assertThat(quiet.exitCode()).as(quiet.toString()).isZero();
    assertThat(quiet.err()).isEmpty();
    CliProcess.Result verbose = tfmon("train", "--model-dir", "b", "--max-steps", "5", "--verbose");
    assertThat(verbose.exitCode()).as(verbose.toString()).isZero();
    assertThat(verbose.err()).contains("MLIR V1 optimization pass is not enabled");
  }

  // issue 11 item 7: a batch larger than the training rows names both numbers
  @Test
  void aBatchLargerThanTheTrainingRowsIsRefused() {
    assertOneLineError(tfmon("train", "--batch-size", "2147483647", "--model-dir", "c"), 2,
        "--batch-size 2147483647 is larger than the 2400 training rows of spirals (3000 points, 3 classes, seed 42)");
    assertThat(work.resolve("c")).doesNotExist();
  }

  // issue 11 item 14: a CSV with the label only, and one that is not UTF-8
  @Test
  void aCsvWithoutFeaturesAndANonUtf8CsvAreNamed() throws Exception {
    Path labelOnly = Files.writeString(work.resolve("label-only.csv"), "label\n0\n1\n0\n1\n");
    assertOneLineError(tfmon("train", "--data", labelOnly.toString()), 1,
        labelOnly + " has no feature columns: its only column is the label 'label'");
    Path latin1 = work.resolve("latin1.csv");
    Files.write(latin1, "a,b,label\n1,2,0\n3,4,1\n5,\"caf\u00e9\",0\n".getBytes(StandardCharsets.ISO_8859_1));
    assertOneLineError(tfmon("train", "--data", latin1.toString()), 1,
        latin1 + " line 4: byte 0xe9 is not UTF-8; tfmon reads CSV files as UTF-8 (convert it, e.g. iconv -f latin1 -t utf-8)");
  }

  // issue 17 csv: quoting, a byte-order mark and CRLF; a pandas index column is noticed; a ragged row is named
  @Test
  void aQuotedCrlfCsvWithABomTrainsAndAnIndexColumnIsReported() throws Exception {
    StringBuilder s = new StringBuilder("\uFEFF\"\",\"feat a\",\"feat b\",kind\r\n");
    java.util.Random random = new java.util.Random(5);
    for (int i = 0; i < 300; i++) {
      int c = i % 2;
      s.append(i).append(',').append(String.format(java.util.Locale.ROOT, "%.4f,%.4f,%d\r\n",
          (c == 0 ? -2 : 2) + random.nextGaussian() * 0.5, random.nextGaussian() * 0.5, c));
    }
    Path csv = Files.writeString(work.resolve("pandas.csv"), s);
    CliProcess.Result r = tfmon("train", "--data", csv.toString(), "--label-column", "kind", "--model-dir", "d",
        "--max-steps", "30", "--hidden", "8");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("data:  " + csv + " (300 rows, 3 features, 2 classes)");
    assertThat(r.err()).isEqualTo("tfmon: warning: column '' of " + csv + " counts the rows (0, 1, 2, ...), like the"
        + " index column pandas writes; it is used as a feature. Leave it out with --ignore-columns ''\n");

    CliProcess.Result ignored = tfmon("train", "--data", csv.toString(), "--label-column", "kind", "--model-dir", "e",
        "--max-steps", "30", "--hidden", "8", "--ignore-columns", "");
    assertThat(ignored.exitCode()).as(ignored.toString()).isZero();
    assertThat(ignored.out()).contains("(300 rows, 2 features, 2 classes)");
    assertThat(ignored.err()).isEmpty();
    CliProcess.Result chosen = tfmon("train", "--data", csv.toString(), "--label-column", "kind", "--model-dir", "f",
        "--max-steps", "30", "--hidden", "8", "--feature-columns", "feat a");
    assertThat(chosen.exitCode()).as(chosen.toString()).isZero();
    assertThat(chosen.out()).contains("(300 rows, 1 features, 2 classes)");

    Path ragged = Files.writeString(work.resolve("ragged.csv"), "\"x, y\",label\r\n1,0\r\n2\r\n");
    assertOneLineError(tfmon("train", "--data", ragged.toString(), "--model-dir", "g"), 1,
        ragged + " line 3: expected 2 fields (x, y,label), but got 1");
  }

  // issue 17 seed: two runs with the same seed give the same losses
  @Test
  void twoRunsWithTheSameSeedGiveIdenticalLosses() {
    List<String> first = losses(tfmon("train", "--model-dir", "s1", "--max-steps", "150", "--log-steps", "10", "--seed", "7"));
    List<String> second = losses(tfmon("train", "--model-dir", "s2", "--max-steps", "150", "--log-steps", "10", "--seed", "7"));
    assertThat(first).hasSize(15);
    assertThat(second).isEqualTo(first);
    List<String> other = losses(tfmon("train", "--model-dir", "s3", "--max-steps", "150", "--log-steps", "10", "--seed", "8"));
    assertThat(other).isNotEqualTo(first);
  }

  private static List<String> losses(CliProcess.Result r) {
    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> out = new java.util.ArrayList<>();
    Matcher m = Pattern.compile("(?m)^step (\\d+)/\\d+  loss (\\S+)").matcher(r.out());
    while (m.find()) {
      out.add(m.group(1) + " " + m.group(2));
    }
    return out;
  }

  // issue 17 log level: an option, not a -D flag
  @Test
  void logLevelAndQuietOptions() throws Exception {
    CliProcess.Result info = tfmon("train", "--model-dir", "h", "--max-steps", "3", "--save-checkpoint-steps", "1",
        "--log-level", "info");
    assertThat(info.exitCode()).as(info.toString()).isZero();
    assertThat(info.err()).contains("INFO CheckpointSaverHook - saving the checkpoint of step 3 to ");
    assertThat(info.err()).doesNotContain("MLIR");
    assertOneLineError(tfmon("inspect", "h", "--log-level", "loud"), 2,
        "--log-level must be one of error, warn, info, debug, trace, but got 'loud'");

    Path dir = work.resolve("h");
    for (String suffix : new String[] {".index", ".meta", ".data-00000-of-00001"}) {
      Files.delete(dir.resolve("model.ckpt-3" + suffix));
    }
    CliProcess.Result quiet = tfmon("train", "--model-dir", "h", "--max-steps", "4", "-q");
    assertThat(quiet.exitCode()).as(quiet.toString()).isZero();
    assertThat(quiet.err()).isEmpty();
  }

  // issue 17 completion: picocli's generated script
  @Test
  void generateCompletionPrintsABashScript() {
    CliProcess.Result r = tfmon("generate-completion");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("complete -F").contains("train").contains("--model-dir");
  }
}

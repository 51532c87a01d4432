package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inspect} and {@code train} on tfmon-core's Python-written fixtures
 * ({@code tfmon-core/src/test/resources/fixtures}, values from their PROVENANCE.md): a model with
 * {@code fixed_size_partitioner} variables (issue 11 item 8) and a TF2 object-based checkpoint.
 */
@Tag("multiprocess")
class CheckpointFixturesCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private final Path fixtures = fixtures();
  @TempDir Path work;

  private static Path fixtures() {
    for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("tfmon-core/src/test/resources/fixtures");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no tfmon-core/src/test/resources/fixtures above " + System.getProperty("user.dir"));
  }

  @Test
  void inspectListsAPartitionedVariableOnceAndPrintsItWhole() {
    // issue 11 item 8 (one row with a "sliced" note, right totals), item 13 (strings)
    Path dir = fixtures.resolve("partitioned");
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "inspect", dir.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo(
        "checkpoint " + dir.resolve("model.ckpt-20") + ": 5 tensors, 129 bytes in 1 data file\n"
            + "name         dtype    shape   size  bytes\n"
            + "b            float32  [1]        1      4\n"
            + "global_step  int64    []         1      8\n"
            + "table        float32  [5, 3]    15     60  sliced: 3 parts\n"
            + "vocab        string   [3]        3     33\n"
            + "w            float32  [6, 1]     6     24  sliced: 3 parts\n");
    CliProcess.Result w = CliProcess.run(work, TIMEOUT, "inspect", dir.toString(), "--tensor", "w");
    assertThat(w.out()).isEqualTo("w  float32 [6, 1]  (6 values, sliced: 3 parts)\n"
        + "[1.0600171, -1.8393223, 2.9112663, 0.64237434, -0.7434536, 2.0085075]\n");
    CliProcess.Result vocab = CliProcess.run(work, TIMEOUT, "inspect", dir.toString(), "--tensor", "vocab");
    assertThat(vocab.out()).isEqualTo(
        "vocab  string [3]  (3 values)\n[\"alpha\", \"tab\\t\\\"quoted\\\"\\n\", <8 bytes 0001feff20726177>]\n");
  }

  @Test
  void inspectShowsATf2ObjectGraphAsATree() {
    // issue 11 item 13
    Path dir = fixtures.resolve("object-graph");
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "inspect", dir.toString(), "--tensor",
        "_CHECKPOINTABLE_OBJECT_GRAPH");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("_CHECKPOINTABLE_OBJECT_GRAPH  string []  (a TF2 object graph)\n"
        + "(root)\n"
        + "  model\n"
        + "    kernel  VARIABLE_VALUE = model/kernel/.ATTRIBUTES/VARIABLE_VALUE\n"
        + "    bias  VARIABLE_VALUE = model/bias/.ATTRIBUTES/VARIABLE_VALUE\n"
        + "  step  VARIABLE_VALUE = step/.ATTRIBUTES/VARIABLE_VALUE\n");
  }

  @Test
  void trainResumesPythonsPartitionedModelWithPythonsLosses() throws IOException {
    // issue 11 item 8: the model-dir check compares slice specs (it used to look for w/part_N keys)
    Path dir = work.resolve("partitioned");
    Files.createDirectories(dir);
    try (var files = Files.list(fixtures.resolve("partitioned"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "train", "--meta-graph", dir.resolve("model.ckpt-20.meta").toString(),
        "--data", dir.resolve("data.csv").toString(), "--feed", "x=f0,f1,f2,f3,f4,f5", "--feed", "y=y",
        "--loss", "loss", "--model-dir", dir.toString(), "--max-steps", "22", "--log-steps", "1");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("resuming from checkpoint " + dir.resolve("model.ckpt-20") + " (global step 20)\n")
        .contains("step 21/22  loss 0.045449")
        .contains("checkpoint:  " + dir.resolve("model.ckpt-22") + "\n");
    assertThat(Files.readAllLines(dir.resolve("checkpoint"))).contains("model_checkpoint_path: \"model.ckpt-22\"");
  }
}

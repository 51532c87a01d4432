package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointDirLock;
import dev.tfmon.checkpoint.MetaGraphs;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.graph.TrainOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** What {@code tfmon train} does to a model directory it cannot or need not train in. */
@Tag("multiprocess")
class ModelDirSafetyCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  @TempDir Path work;

  private CliProcess.Result tfmon(String... args) {
    return CliProcess.run(work, TIMEOUT, args);
  }

  private String[] linearRef(Path dir, String... more) {
    String[] base = {"train", "--meta-graph", dir.resolve("model.ckpt-30.meta").toString(), "--data",
        dir.resolve("data.csv").toString(), "--model-dir", dir.toString()};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  // issue 11 item 4: runs that fail at the first step leave Python's directory byte for byte as it was
  @Test
  void metaGraphRunsThatFailAtTheFirstStepChangeNothing() throws Exception {
    Path dir = InteropDir.copy("linear-ref", work.resolve("linear-ref"));
    Map<String, String> before = digests(dir);

    // y is never fed: the first step fails in TensorFlow
    CliProcess.Result unfed = tfmon(linearRef(dir, "--feed", "x=f0,f1,f2,f3", "--max-steps", "40"));
    assertThat(unfed.exitCode()).as(unfed.toString()).isEqualTo(1);
    assertThat(unfed.err()).startsWith("tfmon: error: INVALID_ARGUMENT: ");
    assertThat(digests(dir)).isEqualTo(before);

    // a loss that needs a placeholder nobody feeds
    CliProcess.Result wrongLoss = tfmon(linearRef(dir, "--feed", "x=f0,f1,f2,f3", "--loss", "y", "--max-steps", "40"));
    assertThat(wrongLoss.exitCode()).as(wrongLoss.toString()).isEqualTo(1);
    assertThat(digests(dir)).isEqualTo(before);

    // issue 11 item 4: a no-op run (the restored step 30 is past --max-steps) changes nothing
    CliProcess.Result noop = tfmon(linearRef(dir, "--feed", "x=f0,f1,f2,f3", "--feed", "y=y", "--max-steps", "20"));
    assertThat(noop.exitCode()).as(noop.toString()).isZero();
    assertThat(noop.out()).contains("the global step 30 already reached --max-steps 20: nothing to train");
    assertThat(digests(dir)).isEqualTo(before);
  }

  // issue 11 item 4 and item 14: a float column for an int64 placeholder is refused before any step,
  // naming line and column, and a new model directory is not even created
  @Test
  void aFractionalValueForAnIntegerPlaceholderIsRefusedNamingLineAndColumn() throws Exception {
    Path meta = work.resolve("int-labels.meta");
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, org.tensorflow.op.core.Placeholder.shape(Shape.of(-1, 1)));
      Operand<TInt64> labels = tf.withName("labels").placeholder(TInt64.class, org.tensorflow.op.core.Placeholder.shape(Shape.of(-1)));
      Operand<TFloat32> w = tf.withName("w").variable(tf.constant(new float[][] {{0f}}));
      Operand<TFloat32> predicted = tf.reshape(tf.linalg.matMul(x, w), tf.constant(new long[] {-1}));
      Operand<TFloat32> loss = tf.withName("loss").math.mean(
          tf.math.square(tf.math.sub(predicted, tf.dtypes.cast(labels, TFloat32.class))), tf.constant(0));
      TrainOps.minimize(new GradientDescent(g, 0.1f), loss, "train_op");
      MetaGraphs.exportMetaGraph(g, Saver.builder(g).build(), meta);
    }
    Path csv = Files.writeString(work.resolve("labels.csv"), "a,label\n1,1\n2,2\n3,0.5\n");
    Path dir = work.resolve("fresh");
    CliProcess.Result r = tfmon("train", "--meta-graph", meta.toString(), "--data", csv.toString(),
        "--feed", "x=a", "--feed", "labels=label", "--model-dir", dir.toString());
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("tfmon: error: " + csv + " line 4, column 2 'label': placeholder 'labels' is int64"
        + " and takes whole numbers, but got 0.5\n");
    assertThat(dir).doesNotExist();
  }

  // issue 11 item 2: one run per model directory; a lock left by kill -9 blocks nobody
  @Test
  void aSecondRunOnTheSameModelDirFailsAtOnceNamingTheFirstAndAKilledRunsLockIsStale() throws Exception {
    Path dir = work.resolve("shared");
    try (CliProcess first = CliProcess.start(work, "train", "--model-dir", dir.toString(), "--max-steps", "100000000",
        "--log-steps", "50", "--save-checkpoint-steps", "100")) {
      first.awaitLine("step 200/", TIMEOUT);
      CliProcess.Result second = tfmon("train", "--model-dir", dir.toString(), "--max-steps", "100000000");
      assertThat(second.exitCode()).as(second.toString()).isEqualTo(1);
      assertThat(second.err()).matches("tfmon: error: --model-dir " + java.util.regex.Pattern.quote(dir.toString())
          + " is in use by another training run \\(pid " + first.pid() + " on \\S+ since \\S+\\);"
          + " wait for it to end, or use another --model-dir\n");
      assertThat(second.out()).isEmpty();
      first.kill();
    }
    // the lock file stays behind a SIGKILL, but the operating system's lock went with the process
    assertThat(dir.resolve(CheckpointDirLock.FILE_NAME)).exists();
    String saved = dev.tfmon.checkpoint.Checkpoints.latestCheckpoint(dir).orElseThrow();
    long next = Long.parseLong(saved.substring(saved.lastIndexOf('-') + 1)) + 50;
    CliProcess.Result third = tfmon("train", "--model-dir", dir.toString(), "--max-steps", Long.toString(next),
        "--log-steps", "50");
    assertThat(third.exitCode()).as(third.toString()).isZero();
    assertThat(third.out()).contains("resuming from checkpoint " + saved)
        .contains("checkpoint:  " + dir.resolve("model.ckpt-" + next));
    assertThat(dir.resolve(CheckpointDirLock.FILE_NAME)).doesNotExist();
  }

  // issue 11 item 15: a state file naming missing checkpoints warns once per fallback
  @Test
  void eachFallbackWarningIsPrintedOnce() throws Exception {
    Path dir = work.resolve("fallback");
    CliProcess.Result made = tfmon("train", "--model-dir", dir.toString(), "--max-steps", "20",
        "--save-checkpoint-steps", "10");
    assertThat(made.exitCode()).as(made.toString()).isZero();
    for (String suffix : new String[] {".index", ".meta", ".data-00000-of-00001"}) {
      Files.delete(dir.resolve("model.ckpt-20" + suffix));
    }
    CliProcess.Result r = tfmon("train", "--model-dir", dir.toString(), "--max-steps", "25");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("resuming from checkpoint " + dir.resolve("model.ckpt-10") + " (global step 10)");
    assertThat(r.err().lines().filter(l -> l.contains("model.ckpt-20 cannot be restored"))).hasSize(1);
    assertThat(r.err().lines().filter(l -> l.contains("restoring " + dir.resolve("model.ckpt-10")))).hasSize(1);
  }

  // issue 11 item 11: a model directory that cannot be created is one line naming the path
  @Test
  void anUncreatableModelDirIsOneLineNamingThePath() throws Exception {
    Path file = Files.writeString(work.resolve("plain-file"), "x");
    Path dir = file.resolve("run");
    CliProcess.Result r = tfmon("train", "--model-dir", dir.toString(), "--max-steps", "10");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).startsWith("tfmon: error: --model-dir " + dir + ": cannot create checkpoint directory " + dir + ": ");
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).doesNotContain("ERROR");
  }

  /** Relative path → SHA-256 of every file under {@code dir} (the list of files and their bytes). */
  static Map<String, String> digests(Path dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        out.put(dir.relativize(f).toString(), Files.isRegularFile(f)
            ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))) : "dir");
      }
    }
    return out;
  }
}

package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.ScalarSeries;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * {@code tfmon train} end to end: the real command in a child JVM, real TensorFlow, real files.
 * One 300-step run is shared by the tests that read its files.
 */
@Tag("multiprocess")
class TrainCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir static Path shared;
  private static Path run;
  private static CliProcess.Result first;

  @BeforeAll
  static void trainThreeHundredSteps() {
    run = shared.resolve("run");
    first = CliProcess.run(shared, TIMEOUT, "train", "--model-dir", run.toString(), "--max-steps", "300",
        "--log-steps", "50", "--summary-steps", "20", "--save-checkpoint-steps", "100");
  }

  @Test
  void trainsTheBuiltInClassifierAboveNinetyPercentAndWritesCheckpointsAndEvents() throws Exception {
    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.out())
        .contains("data:  spirals (3000 points, 3 classes, seed 42); 2400 for training, 600 for evaluation")
        .contains("layers 2-64-64-3")
        .contains("starting from scratch in " + run)
        .contains("step 50/300  loss ")
        .contains("step 300/300  loss ")
        .contains("checkpoint:  " + run.resolve("model.ckpt-300"))
        .contains("event files: " + run.resolve("events.out.tfevents."));
    Matcher m = Pattern.compile("eval accuracy: (\\d\\.\\d{4}) \\(600 examples\\)").matcher(first.out());
    assertThat(m.find()).as(first.out()).isTrue();
    // Chance is 1/3; 300 Adam steps reach about 0.99 on these spirals.
    assertThat(Double.parseDouble(m.group(1))).isGreaterThan(0.9);

    assertThat(Checkpoints.latestCheckpoint(run)).contains(run.resolve("model.ckpt-300").toString());
    // no step-0 checkpoint: nothing is written before the first step succeeded (issue 11 item 4)
    assertThat(run.resolve("model.ckpt-0.index")).doesNotExist();
    for (String step : List.of("100", "200", "300")) {
      assertThat(run.resolve("model.ckpt-" + step + ".index")).exists();
    }
    try (CheckpointReader reader = CheckpointReader.open(run.resolve("model.ckpt-300").toString());
        TInt64 step = (TInt64) reader.read("global_step")) {
      assertThat(step.getLong()).isEqualTo(300);
      assertThat(reader.variables()).containsKeys("dense_0_kernel", "dense_1_kernel", "logits_kernel", "logits_bias");
    }
    Map<String, List<ScalarPoint>> series = ScalarSeries.readDirectory(run);
    assertThat(series).containsKeys("loss", "accuracy", "global_step/sec");
    List<ScalarPoint> loss = series.get("loss");
    assertThat(loss).extracting(ScalarPoint::step).contains(1L, 21L, 281L);
    assertThat(loss.get(loss.size() - 1).value()).isLessThan(loss.get(0).value() / 5);
  }

  // End-to-end counterpart of MST-062 (a new session restores the newest checkpoint of the
  // directory) and BHT-07 (StopAtStepHook.lastStep counts the global step across runs).
  @Test
  void aSecondRunResumesFromTheSavedStep() {
    Path copy = shared.resolve("resumed");
    CliProcess.Result r0 = CliProcess.run(shared, TIMEOUT, "train", "--model-dir", copy.toString(), "--max-steps", "60",
        "--log-steps", "20");
    assertThat(r0.exitCode()).as(r0.toString()).isZero();
    CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "train", "--model-dir", copy.toString(), "--max-steps", "100",
        "--log-steps", "20");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("resuming from checkpoint " + copy.resolve("model.ckpt-60") + " (global step 60)")
        .doesNotContain("step 60/100")
        .contains("step 80/100  loss ")
        .contains("checkpoint:  " + copy.resolve("model.ckpt-100"));
    assertThat(Checkpoints.latestCheckpoint(copy)).contains(copy.resolve("model.ckpt-100").toString());

    CliProcess.Result again = CliProcess.run(shared, TIMEOUT, "train", "--model-dir", copy.toString(), "--max-steps", "100");
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).contains("the global step 100 already reached --max-steps 100: nothing to train");
  }

  @Test
  void sigtermMidRunWritesACheckpointAtTheStepReachedAndExits143() throws Exception {
    Path dir = shared.resolve("preempted");
    CliProcess.Result r;
    try (CliProcess p = CliProcess.start(shared, "train", "--model-dir", dir.toString(), "--max-steps", "10000000",
        "--log-steps", "100", "--save-checkpoint-secs", "3600")) {
      p.awaitLine("step 200/", Duration.ofSeconds(60));
      p.terminate();
      r = p.await(Duration.ofSeconds(60));
    }
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(143);
    assertThat(r.err()).contains("tfmon: SIGTERM received: stopping after this step and writing a checkpoint");
    Matcher m = Pattern.compile("stopped by SIGTERM at global step (\\d+); checkpoint written").matcher(r.out());
    assertThat(m.find()).as(r.toString()).isTrue();
    long reached = Long.parseLong(m.group(1));
    assertThat(reached).isGreaterThanOrEqualTo(200);
    // No checkpoint was saved before (checkpoints every hour): the step reached is the signal's doing.
    String latest = dir.resolve("model.ckpt-" + reached).toString();
    assertThat(Checkpoints.latestCheckpoint(dir)).contains(latest);
    try (CheckpointReader reader = CheckpointReader.open(latest);
        TInt64 step = (TInt64) reader.read("global_step")) {
      assertThat(step.getLong()).isEqualTo(reached);
    }
  }

  // End-to-end counterpart of MST-067: OUT_OF_RANGE from a real tf.data iterator ends the loop cleanly.
  @Test
  void epochsEndTheTf_dataInputWithOutOfRangeAndStopCleanly() {
    Path dir = shared.resolve("epochs");
    // 2400 training examples in batches of 200: 12 steps per epoch.
    CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "train", "--model-dir", dir.toString(), "--epochs", "2",
        "--batch-size", "200", "--log-steps", "12");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("step 12/24  loss ")
        .contains("step 24/24  loss ")
        .contains("end of input after 2 epochs at global step 24")
        .contains("checkpoint:  " + dir.resolve("model.ckpt-24"));
  }

  @Test
  void trainsOnAUserCsvWithALabelColumn() throws Exception {
    Path csv = shared.resolve("blobs.csv");
    StringBuilder s = new StringBuilder("a,b,kind\n");
    java.util.Random random = new java.util.Random(3);
    double[][] centers = {{-2, 0}, {2, 0}, {0, 3}};
    for (int i = 0; i < 600; i++) {
      int c = i % 3;
      s.append(String.format("%.5f,%.5f,%d%n", centers[c][0] + random.nextGaussian() * 0.6,
          centers[c][1] + random.nextGaussian() * 0.6, 10 + c));
    }
    Files.writeString(csv, s);
    Path dir = shared.resolve("csv");
    CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "train", "--data", csv.toString(), "--label-column", "kind",
        "--model-dir", dir.toString(), "--max-steps", "150", "--hidden", "16");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("data:  " + csv + " (600 rows, 2 features, 3 classes); 480 for training, 120 for evaluation")
        .contains("layers 2-16-3");
    Matcher m = Pattern.compile("eval accuracy: (\\d\\.\\d{4}) \\(120 examples\\)").matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isGreaterThan(0.9);
  }

  @Test
  void resumesPythonsCheckpointsOfAPythonMetaGraphAndMatchesPythonsLosses() throws Exception {
    Path dir = InteropDir.copy("linear-ref", shared.resolve("linear-ref"));
    CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "train",
        "--meta-graph", dir.resolve("model.ckpt-30.meta").toString(), "--data", dir.resolve("data.csv").toString(),
        "--feed", "x=f0,f1,f2,f3", "--feed", "y=y", "--loss", "loss", "--model-dir", dir.toString(),
        "--max-steps", "40", "--log-steps", "1");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("resuming from checkpoint " + dir.resolve("model.ckpt-30") + " (global step 30)")
        .contains("feeding x <- f0,f1,f2,f3 (float32), y <- y (float32)")
        .contains("train op 'train_op', loss 'loss'), batch 64");
    // linear-ref/PROVENANCE.md, "Continuing training": Python's losses of global steps 31..40.
    double[] python = {0.00168838259, 0.00128785009, 0.000982362311, 0.000749347091, 0.000571621058,
        0.000436057046, 0.000332648226, 0.000253763836, 0.000193590997, 0.000147686864};
    List<Double> ours = new ArrayList<>();
    Matcher m = Pattern.compile("step (\\d+)/40  loss (\\S+)").matcher(r.out());
    while (m.find()) {
      assertThat(Long.parseLong(m.group(1))).isEqualTo(31 + ours.size());
      ours.add(Double.parseDouble(m.group(2)));
    }
    assertThat(ours).hasSize(10);
    // Float32 rounding: the loss is a mean of squared residuals that shrink as training converges,
    // so the same float32 error in w is a growing relative error in the loss (3.6e-6 at step 34).
    for (int i = 0; i < 10; i++) {
      assertThat(ours.get(i)).as("loss of step %d", 31 + i).isCloseTo(python[i], within(python[i] * 1e-5));
    }
    try (CheckpointReader reader = CheckpointReader.open(dir.resolve("model.ckpt-40").toString());
        TFloat32 w = (TFloat32) reader.read("w");
        TInt64 step = (TInt64) reader.read("global_step")) {
      assertThat(step.getLong()).isEqualTo(40);
      float[] expected = {1.00471294f, -1.99469292f, 2.9887898f, 0.498683602f};
      for (int i = 0; i < 4; i++) {
        assertThat(w.getFloat(i, 0)).isCloseTo(expected[i], within(2e-6f));
      }
    }
  }

  @Test
  void inspectListsTheVariablesOfOurCheckpointAndPrintsATensor() {
    CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "inspect", run.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .startsWith("checkpoint " + run.resolve("model.ckpt-300") + ": ")
        .containsPattern("(?m)^dense_0_kernel +float32 +\\[2, 64\\] +128 +512$")
        .containsPattern("(?m)^global_step +int64 +\\[\\] +1 +8$")
        .containsPattern("(?m)^logits_bias +float32 +\\[3\\] +3 +12$");
    CliProcess.Result t = CliProcess.run(shared, TIMEOUT, "inspect", run.toString(), "--tensor", "dense_0_kernel",
        "--max-values", "6");
    assertThat(t.exitCode()).as(t.toString()).isZero();
    assertThat(t.out())
        .startsWith("dense_0_kernel  float32 [2, 64]  (128 values)\n[")
        .contains(", ... (122 more) ..., ")
        .containsPattern("min -?\\d.* max -?\\d.* mean ");
  }

  @Test
  void eventsAndPlotReadOurEventFiles() throws Exception {
    CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "events", run.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .containsPattern("(?m)^tag +kind +points +steps +first +last +min +max$")
        .containsPattern("(?m)^loss +scalar +15 +1\\.\\.281 ")
        .containsPattern("(?m)^accuracy +scalar +15 +1\\.\\.281 ")
        .containsPattern("(?m)^global_step/sec +scalar +14 +21\\.\\.281 ");
    CliProcess.Result one = CliProcess.run(shared, TIMEOUT, "events", run.toString(), "--tag", "loss");
    assertThat(one.out()).startsWith("loss: 15 points\n").containsPattern("(?m)^ +21 +\\d");

    Path png = shared.resolve("curves.png");
    CliProcess.Result p = CliProcess.run(shared, TIMEOUT, "plot", run.toString(), "-o", png.toString(), "--width", "640",
        "--panel-height", "200");
    assertThat(p.exitCode()).as(p.toString()).isZero();
    assertThat(p.out()).contains("wrote " + png + " (640x660, 3 panels: accuracy, global_step/sec, loss)");
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(640);
    assertThat(image.getHeight()).isEqualTo(660);
  }
}

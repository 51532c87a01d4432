package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.export.ExportDirectory;
import dev.tfmon.export.ExportSignature;
import dev.tfmon.export.LatestExporter;
import dev.tfmon.export.SavedModelExporter;
import dev.tfmon.hook.CheckpointSaverListener;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.scaffold.Scaffold;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.types.TFloat32;

/**
 * Issue 13 from the command line: {@code train --export-dir}, {@code export}, {@code predict} and
 * {@code inspect} on the built-in model and on Python's linear-ref; the built-in model's export,
 * loaded by a fresh JVM, predicts the evaluation rows as the trained session did.
 */
@Tag("multiprocess")
class ExportCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  @TempDir Path work;

  private CliProcess.Result tfmon(String... args) {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, args);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r;
  }

  /** The rows of {@code eval} as a CSV file with a header x,y,label. */
  private Path csv(Dataset eval, String name) throws IOException {
    StringBuilder s = new StringBuilder("x,y,label\n");
    for (int i = 0; i < eval.size(); i++) {
      s.append(eval.features()[i][0]).append(',').append(eval.features()[i][1]).append(',').append(eval.labels()[i]).append('\n');
    }
    return Files.writeString(work.resolve(name), s);
  }

  /** Columns {@code prefix_0, prefix_1, ...} of a {@code tfmon predict} CSV, row-major. */
  private static float[] column(String csv, String prefix) {
    List<String> lines = csv.lines().toList();
    List<String> header = List.of(lines.get(0).split(","));
    List<Integer> cols = new java.util.ArrayList<>();
    for (int i = 0; i < header.size(); i++) {
      if (header.get(i).equals(prefix) || header.get(i).startsWith(prefix + "_")) {
        cols.add(i);
      }
    }
    float[] out = new float[(lines.size() - 1) * cols.size()];
    int k = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      for (int c : cols) {
        out[k++] = Float.parseFloat(f[c]);
      }
    }
    return out;
  }

  @Test
  void builtInModelExportPredictsTheEvaluationRowsInAFreshJvmLikeTheTrainedSession() throws IOException {
    Dataset.Split split = Dataset.spirals(1000, 3, 42).split(0.2, 42);
    Path exports = work.resolve("exports");
    float[][] session = new float[1][];
    try (Graph graph = new Graph();
        TFloat32 evalRows = TFloat32.tensorOf(StdArrays.ndCopyOf(split.eval().features()))) {
      ClassifierGraph model = ClassifierGraph.build(graph, split, List.of(16, 16), 64, 0.01f, -1, 42);
      ExportSignature signature = ExportSignature.recordedIn(graph).get(0);
      LatestExporter latest = LatestExporter.builder(SavedModelExporter.builder(graph).build(), ExportDirectory.of(exports))
          .everyCheckpoint(false).build();
      try (MonitoredSession s = MonitoredTrainingSession.builder(graph)
          .checkpointDir(work.resolve("model"))
          .scaffold(Scaffold.builder(graph).localInitOp(model.iteratorInit()).build())
          .checkpointListener(latest)
          .checkpointListener(new CheckpointSaverListener() {
            @Override
            public void end(dev.tfmon.runtime.RunnableSession raw, long step) {
              try (RunResult r = raw.runner().feed(signature.inputs().get("features"), evalRows)
                  .fetch(signature.outputs().get("probabilities")).run()) {
                TFloat32 p = (TFloat32) r.get(0);
                float[] values = new float[(int) p.shape().size()];
                int[] i = {0};
                p.scalars().forEach(v -> values[i[0]++] = v.getFloat());
                session[0] = values;
              }
            }
          })
          .hook(StopAtStepHook.lastStep(150))
          .build()) {
        s.runUntilStopped(x -> x.run(model.trainOp()));
      }
    }
    assertThat(ExportDirectory.of(exports).versions()).containsExactly(150L);

    // A fresh JVM: tfmon predict loads the export with TF Java's SavedModelBundle.
    Path rows = csv(split.eval(), "eval.csv");
    CliProcess.Result r = tfmon("predict", "--saved-model", exports.toString(), "--data", rows.toString());
    assertThat(r.err()).contains("predicted with " + exports.resolve("150") + " signature 'serving_default' on 600 rows of "
        + rows + " (features <- x,y)");
    assertThat(r.out().lines().findFirst()).contains(
        "row,classes,logits_0,logits_1,logits_2,probabilities_0,probabilities_1,probabilities_2");
    float[] fresh = column(r.out(), "probabilities");
    assertThat(fresh).hasSize(600 * 3);
    for (int i = 0; i < fresh.length; i++) {
      assertThat((double) fresh[i]).as("probability %d", i).isCloseTo(session[0][i], within(1e-6));
    }
  }

  @Test
  void trainExportsAtTheEndThenInspectAndExportOfTheCheckpointAgree() throws IOException {
    Path model = work.resolve("model");
    Path exports = work.resolve("exports");
    CliProcess.Result train = tfmon("train", "--model-dir", model.toString(), "--max-steps", "200", "--hidden", "16,16",
        "--export-dir", exports.toString(), "--keep-exports", "2");
    assertThat(train.out()).contains(
        "export:      " + exports.resolve("200") + " (verified serving_default on features=zeros float32 [1, 2]: max |diff| 0.0)\n");

    CliProcess.Result inspect = tfmon("inspect", exports.toString());
    assertThat(inspect.out())
        .startsWith("SavedModel " + exports.resolve("200") + ": 1 MetaGraph\n"
            + "MetaGraph with tags [serve]: ")
        .contains("signature 'serving_default' (tensorflow/serving/predict)\n"
            + "          key            dtype    shape   tensor\n"
            + "  input   features       float32  [?, 2]  serving/features:0\n"
            + "  output  classes        int64    [?]     serving/classes:0\n"
            + "  output  logits         float32  [?, 3]  serving/logits:0\n"
            + "  output  probabilities  float32  [?, 3]  serving/probabilities:0\n")
        .contains("dense_0_kernel  float32  [2, 16]     32    128\n")
        .doesNotContain("-m ", "beta1_power", "global_step");

    // A second run goes on to 300 and exports again; keep 2 keeps both.
    tfmon("train", "--model-dir", model.toString(), "--max-steps", "300", "--hidden", "16,16",
        "--export-dir", exports.toString(), "--keep-exports", "2");
    assertThat(ExportDirectory.of(exports).versions()).containsExactly(200L, 300L);

    // tfmon export of the step-200 checkpoint gives a model that predicts exactly like train's export
    Path again = work.resolve("again");
    CliProcess.Result export = tfmon("export", "--model-dir", model.toString(), "--checkpoint",
        model.resolve("model.ckpt-200").toString(), "--export-dir", again.toString());
    assertThat(export.out()).isEqualTo(
        "exported checkpoint " + model.resolve("model.ckpt-200") + " (graph " + model.resolve("model.ckpt-200.meta") + ")\n"
            + "to:        " + again.resolve("200") + "\n"
            + "signature: serving_default (tensorflow/serving/predict): inputs features float32 [?, 2]; outputs "
            + "classes int64 [?], logits float32 [?, 3], probabilities float32 [?, 3]\n"
            + export.out().lines().filter(l -> l.startsWith("graph:")).findFirst().orElse("graph: missing") + "\n"
            + "check:     verified serving_default on features=zeros float32 [1, 2]: max |diff| 0.0\n");
    assertThat(export.out()).contains(
        "(pruned to the signature); 6 variables: dense_0_kernel, dense_0_bias, dense_1_kernel, dense_1_bias, "
            + "logits_kernel, logits_bias\n");
    Path rows = csv(Dataset.spirals(1000, 3, 42).split(0.2, 42).eval(), "eval.csv");
    String fromTrain = tfmon("predict", "--saved-model", exports.resolve("200").toString(), "--data", rows.toString()).out();
    String fromExport = tfmon("predict", "--saved-model", again.toString(), "--data", rows.toString()).out();
    assertThat(fromExport).isEqualTo(fromTrain);
    assertThat(fromTrain.lines()).hasSize(601);
  }

  @Test
  void pythonModelDirectoryExportsWithNamedTensorsAndPredictsItsLinearFunction() throws IOException {
    Path lr = InteropDir.copy("linear-ref", work.resolve("lr"));
    Path exports = work.resolve("exports");
    CliProcess.Result export = tfmon("export", "--model-dir", lr.toString(), "--export-dir", exports.toString(),
        "--export-input", "x=x", "--export-output", "pred=pred");
    assertThat(export.out()).isEqualTo(
        "exported checkpoint " + lr.resolve("model.ckpt-30") + " (graph " + lr.resolve("model.ckpt-30.meta") + ")\n"
            + "to:        " + exports.resolve("30") + "\n"
            + "signature: serving_default (tensorflow/serving/predict): inputs x float32 [?, 4]; outputs pred float32 [?, 1]\n"
            + "graph:     29 of 85 nodes (pruned to the signature); 2 variables: w, b\n"
            + "check:     verified serving_default on x=zeros float32 [1, 4]: max |diff| 0.0\n");

    Path out = work.resolve("pred.csv");
    CliProcess.Result predict = tfmon("predict", "--saved-model", exports.toString(), "--data",
        lr.resolve("data.csv").toString(), "--output", out.toString());
    assertThat(predict.out()).isEqualTo("predicted with " + exports.resolve("30") + " signature 'serving_default' on 64 rows of "
        + lr.resolve("data.csv") + " (x <- f0,f1,f2,f3)\nwrote " + out + " (64 rows, columns row,pred)\n");
    // the first row of data.csv through PROVENANCE.md's w and b of model.ckpt-30
    double expected = 1.76405239 * 1.01787841 + 0.400157213 * -1.9793644 + 0.97873801 * 2.95640254
        + 2.24089313 * 0.495797843 + 0.251824766;
    assertThat((double) column(Files.readString(out), "pred")[0]).isCloseTo(expected, within(1e-5));

    // training the Python graph on exports at its end, with the signature named on the command line
    CliProcess.Result train = tfmon("train", "--meta-graph", lr.resolve("model.ckpt-30.meta").toString(), "--data",
        lr.resolve("data.csv").toString(), "--feed", "x=f0,f1,f2,f3", "--feed", "y=y", "--model-dir", lr.toString(),
        "--max-steps", "35", "--export-dir", exports.toString(), "--export-input", "x=x", "--export-output", "pred=pred");
    assertThat(train.out()).contains("export:      " + exports.resolve("35") + " (verified serving_default on x=zeros float32 [1, 4]");
    assertThat(ExportDirectory.of(exports).versions()).containsExactly(30L, 35L);
  }
}

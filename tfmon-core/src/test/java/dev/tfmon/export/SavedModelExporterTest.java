package dev.tfmon.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.checkpoint.MetaGraphs;
import dev.tfmon.checkpoint.Saver;
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
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;

/**
 * Issue 13, library: SavedModels written from a sharded-saver session, an unsharded one, a
 * Python-imported MetaGraph and a checkpoint alone; pruning; TF Java loads every one of them and
 * predicts what the training session predicted.
 */
class SavedModelExporterTest {
  @TempDir Path tmp;

  /** The session's predictions for the rows, taken at the end of training beside the export. */
  private static final class Capture implements CheckpointSaverListener {
    private final ExportModel model;
    private final TFloat32 rows;
    float[] predictions;
    long step = -1;

    Capture(ExportModel model, TFloat32 rows) {
      this.model = model;
      this.rows = rows;
    }

    @Override
    public void end(dev.tfmon.runtime.RunnableSession session, long step) {
      this.predictions = model.predict(session, rows);
      this.step = step;
    }
  }

  /** Trains 60 steps with {@code scaffold}, exporting at the end through a LatestExporter. */
  private static LatestExporter trainAndExport(
      Graph g, ExportModel m, Scaffold scaffold, SavedModelExporter exporter, ExportDirectory exports, Capture capture,
      Path modelDir) {
    LatestExporter latest = LatestExporter.builder(exporter, exports).everyCheckpoint(false).build();
    try (MonitoredSession s = MonitoredTrainingSession.builder(g)
        .checkpointDir(modelDir)
        .scaffold(scaffold)
        .saveCheckpointSteps(25)
        .saveSummariesSteps(10)
        .checkpointListener(latest)
        .checkpointListener(capture)
        .hook(StopAtStepHook.lastStep(60))
        .build()) {
      s.runUntilStopped(x -> x.run(m.trainOp()));
    }
    return latest;
  }

  private static Scaffold scaffold(Graph g, ExportModel m, Saver saver) {
    Scaffold.Builder b = Scaffold.builder(g).localInitOp(m.iteratorInit());
    return (saver == null ? b : b.saver(saver)).build();
  }

  static MetaGraphDef metaGraph(Path exportDir) throws IOException {
    SavedModel model = SavedModel.parseFrom(Files.readAllBytes(exportDir.resolve("saved_model.pb")));
    assertThat(model.getSavedModelSchemaVersion()).isEqualTo(1);
    assertThat(model.getMetaGraphsCount()).isEqualTo(1);
    return model.getMetaGraphs(0);
  }

  static Set<String> opTypes(MetaGraphDef meta) {
    return meta.getGraphDef().getNodeList().stream().map(NodeDef::getOp).collect(Collectors.toSet());
  }

  static List<String> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.map(p -> dir.relativize(p).toString().replace('\\', '/')).filter(p -> !p.isEmpty()).sorted().toList();
    }
  }

  /** What TF Java's SavedModelBundle, loaded from {@code dir}, predicts for {@code rows}. */
  static float[] predictWithBundle(Path dir, String input, String output, Tensor rows) {
    try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), "serve");
        Result r = bundle.function("serving_default").call(java.util.Map.of(input, rows))) {
      return ExportModel.floats((TFloat32) r.get(output).orElseThrow());
    }
  }

  static void assertClose(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).as("value %d", i).isCloseTo(expected[i], within(1e-6));
    }
  }

  @Test
  void shardedSaverSessionExportsAPrunedModelThatTfJavaLoadsAndThatPredictsLikeTheSession() throws IOException {
    Path exportsDir = tmp.resolve("exports");
    try (Graph g = new Graph(); TFloat32 rows = ExportModel.rows(20, 3)) {
      ExportModel m = ExportModel.build(g);
      Capture capture = new Capture(m, rows);
      SavedModelExporter exporter = SavedModelExporter.builder(g).signature(m.signature()).build();
      // The Scaffold's default saver is sharded, as in TF 1.x: TF Java's own exporter fails here.
      LatestExporter latest = trainAndExport(g, m, scaffold(g, m, null), exporter, ExportDirectory.of(exportsDir), capture,
          tmp.resolve("model"));

      ExportResult r = latest.lastResult().orElseThrow();
      assertThat(r.version()).isEqualTo(60);
      assertThat(r.directory()).isEqualTo(exportsDir.resolve("60"));
      assertThat(files(exportsDir)).containsExactly(
          "60", "60/assets", "60/saved_model.pb", "60/variables", "60/variables/variables.data-00000-of-00001",
          "60/variables/variables.index");
      assertThat(r.variables()).containsExactly("hidden_kernel", "hidden_bias", "out_kernel", "out_bias");

      MetaGraphDef meta = metaGraph(r.directory());
      assertThat(meta.getMetaInfoDef().getTagsList()).containsExactly("serve");
      assertThat(meta.getSaverDef().getSharded()).isTrue();
      assertThat(meta.getCollectionDefMap().get("saved_model_main_op").getNodeList().getValueList()).containsExactly("main_op");
      assertThat(meta.getSignatureDefMap()).containsOnlyKeys("serving_default");
      assertThat(meta.getSignatureDefMap().get("serving_default").getInputsMap().get("x").getName()).isEqualTo("serving/x:0");
      // pruned: no optimizer, no input pipeline, no summaries, no training loss, one saver
      assertThat(opTypes(meta)).doesNotContain("ApplyAdam", "IteratorGetNext", "MakeIterator", "TensorSliceDataset",
          "ScalarSummary", "MergeSummary", "AssignAdd");
      assertThat(meta.getGraphDef().getNodeList()).extracting(NodeDef::getName)
          .noneMatch(n -> n.startsWith("train/") || n.startsWith("input/") || n.endsWith("-m") || n.startsWith("global_step"));
      assertThat(meta.getGraphDef().getNodeList()).filteredOn(n -> n.getOp().equals("RestoreV2")).hasSize(1);
      assertThat(r.keptNodes()).isLessThan(r.sourceNodes() / 3);
      try (CheckpointReader variables = CheckpointReader.open(r.directory().resolve("variables/variables").toString())) {
        assertThat(variables.variables().keySet())
            .containsExactlyInAnyOrder("hidden_kernel", "hidden_bias", "out_kernel", "out_bias");
      }

      assertThat(r.verification().performed()).isTrue();
      assertThat(r.verification().checks()).singleElement().satisfies(c -> {
        assertThat(c.inputs()).containsEntry("x", "zeros float32 [1, 3]");
        assertThat(c.maxDifference()).containsOnlyKeys("y");
        assertThat(c.worst()).isLessThanOrEqualTo(1e-6);
      });
      assertThat(capture.step).isEqualTo(60);
      assertClose(predictWithBundle(r.directory(), "x", "y", rows), capture.predictions);
    }
  }

  @Test
  void unshardedSaverExportWritesAnUnshardedSaverThatRestoresIt() throws IOException {
    try (Graph g = new Graph(); TFloat32 rows = ExportModel.rows(10, 4)) {
      ExportModel m = ExportModel.build(g);
      Capture capture = new Capture(m, rows);
      Saver training = Saver.builder(g).sharded(false).build();
      SavedModelExporter exporter = SavedModelExporter.builder(g).signature(m.signature()).shardedSaver(false).build();
      LatestExporter latest = trainAndExport(g, m, scaffold(g, m, training), exporter,
          ExportDirectory.of(tmp.resolve("exports")), capture, tmp.resolve("model"));

      ExportResult r = latest.lastResult().orElseThrow();
      MetaGraphDef meta = metaGraph(r.directory());
      assertThat(meta.getSaverDef().getSharded()).isFalse();
      assertThat(opTypes(meta)).doesNotContain("MergeV2Checkpoints", "ShardedFilename");
      assertThat(files(r.directory())).contains("variables/variables.index", "variables/variables.data-00000-of-00001");
      assertClose(predictWithBundle(r.directory(), "x", "y", rows), capture.predictions);
    }
  }

  @Test
  void pythonImportedMetaGraphExportsFromItsRestoredSession() throws IOException {
    Path lr = ExportFixtures.interop("linear-ref");
    try (Graph g = new Graph();
        TFloat32 rows = ExportFixtures.linearFeatures(lr.resolve("data.csv"));
        NativeSession session = NativeSession.open(g)) {
      ImportedMetaGraph imported = MetaGraphs.importMetaGraph(g, lr.resolve("model.ckpt-30.meta"));
      imported.saver().orElseThrow().restore(session, lr.resolve("model.ckpt-30").toString());
      SavedModelExporter exporter = SavedModelExporter.builder(g)
          .signature(ExportSignature.builder().input("x", "x:0").output("pred", "pred:0").build())
          .sampleInput(ExportSignature.DEFAULT_NAME, "x", rows)
          .build();
      int nodesBefore = g.toGraphDef().getNodeCount();
      ExportResult r = exporter.export(session, ExportDirectory.of(tmp.resolve("exports")));

      assertThat(g.toGraphDef().getNodeCount()).as("the training graph is left as it was").isEqualTo(nodesBefore);
      assertThat(r.version()).isEqualTo(30);
      assertThat(r.variables()).containsExactly("w", "b");
      assertThat(r.verification().checks().get(0).inputs()).containsEntry("x", "given float32 [64, 4]");
      assertThat(opTypes(metaGraph(r.directory()))).doesNotContain("ApplyGradientDescent", "AssignAdd");
      try (CheckpointReader variables = CheckpointReader.open(r.directory().resolve("variables/variables").toString());
          Tensor w = variables.read("w")) {
        // the values of PROVENANCE.md for model.ckpt-30
        assertThat(ExportModel.floats((TFloat32) w)).containsExactly(1.01787841f, -1.9793644f, 2.95640254f, 0.495797843f);
      }
      float[] expected;
      try (RunResult out = session.runner().feed("x", rows).fetch("pred").run()) {
        expected = ExportModel.floats((TFloat32) out.get(0));
      }
      assertClose(predictWithBundle(r.directory(), "x", "pred", rows), expected);
    }
  }

  @Test
  void checkpointAloneOfResourceVariablesExportsAtItsGlobalStep() throws IOException {
    Path lr = ExportFixtures.interop("linear-resource");
    try (Graph g = new Graph(); TFloat32 rows = ExportFixtures.linearFeatures(lr.resolve("data.csv"))) {
      ImportedMetaGraph imported = MetaGraphs.importMetaGraph(g, lr.resolve("model.ckpt-30.meta"));
      SavedModelExporter exporter = SavedModelExporter.builder(g)
          .signature(ExportSignature.builder().input("x", "x").output("pred", "pred").build())
          .build();
      ExportResult r = exporter.exportCheckpoint(lr.resolve("model.ckpt-30").toString(), imported.saver().orElseThrow(),
          ExportDirectory.of(tmp.resolve("exports")));

      assertThat(r.version()).isEqualTo(30);
      assertThat(r.variables()).containsExactly("w", "b");
      MetaGraphDef meta = metaGraph(r.directory());
      assertThat(meta.getGraphDef().getNodeList()).filteredOn(n -> n.getName().equals("w"))
          .singleElement().extracting(NodeDef::getOp).isEqualTo("VarHandleOp");
      // y = x·w + b with the checkpoint's w and b
      float[] w = {1.01787841f, -1.9793644f, 2.95640254f, 0.495797843f};
      float[] x = ExportModel.floats(rows);
      float[] pred = predictWithBundle(r.directory(), "x", "pred", rows);
      for (int i = 0; i < pred.length; i++) {
        double expected = 0.251824766;
        for (int j = 0; j < 4; j++) {
          expected += x[i * 4 + j] * w[j];
        }
        assertThat((double) pred[i]).isCloseTo(expected, within(1e-5));
      }
    }
  }

  @Test
  void keepFullGraphWritesEveryVariableAndTheInputPipeline() throws IOException {
    try (Graph g = new Graph(); TFloat32 rows = ExportModel.rows(5, 5)) {
      ExportModel m = ExportModel.build(g);
      Capture capture = new Capture(m, rows);
      SavedModelExporter exporter = SavedModelExporter.builder(g).signature(m.signature()).keepFullGraph(true).build();
      ExportResult r = trainAndExport(g, m, scaffold(g, m, null), exporter, ExportDirectory.of(tmp.resolve("exports")),
          capture, tmp.resolve("model")).lastResult().orElseThrow();

      assertThat(r.variables()).contains("global_step", "hidden_kernel", "hidden_kernel-m", "hidden_kernel-v", "beta1_power");
      assertThat(opTypes(metaGraph(r.directory()))).contains("ApplyAdam", "IteratorGetNext");
      assertClose(predictWithBundle(r.directory(), "x", "y", rows), capture.predictions);
    }
  }
}

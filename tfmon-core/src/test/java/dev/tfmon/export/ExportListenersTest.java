package dev.tfmon.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.scaffold.Scaffold;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * Issue 13, exporters as listeners: {@link LatestExporter} after every checkpoint with keep-N, each
 * export holding exactly the checkpoint's weights of its step; {@link BestExporter} only when the
 * supplied metric improves, also across a restart.
 */
class ExportListenersTest {
  @TempDir Path tmp;

  @Test
  void latestExporterExportsEveryCheckpointAndKeepsTheNewest() throws IOException {
    Path model = tmp.resolve("model");
    ExportDirectory exports = ExportDirectory.of(tmp.resolve("exports")).keep(2);
    List<Long> exportedSteps = new ArrayList<>();
    try (Graph g = new Graph()) {
      ExportModel m = ExportModel.build(g);
      LatestExporter latest =
          LatestExporter.builder(SavedModelExporter.builder(g).signature(m.signature()).build(), exports).build();
      try (MonitoredSession s = MonitoredTrainingSession.builder(g)
          .checkpointDir(model)
          .scaffold(Scaffold.builder(g).localInitOp(m.iteratorInit()).build())
          .saveCheckpointSteps(25)
          .checkpointListener(latest)
          .checkpointListener(new dev.tfmon.hook.CheckpointSaverListener() {
            @Override
            public boolean afterSave(dev.tfmon.runtime.RunnableSession session, long step) {
              latest.lastResult().ifPresent(r -> exportedSteps.add(r.version()));
              return false;
            }
          })
          .hook(StopAtStepHook.lastStep(100))
          .build()) {
        s.runUntilStopped(x -> x.run(m.trainOp()));
      }
    }
    // a checkpoint at session creation (step 0), every 25 steps, and the final one is step 100 again
    assertThat(exportedSteps).containsExactly(0L, 25L, 50L, 75L, 100L);
    assertThat(exports.versions()).containsExactly(75L, 100L);
    for (long step : exports.versions()) {
      try (CheckpointReader export = CheckpointReader.open(exports.versionPath(step).resolve("variables/variables").toString());
          CheckpointReader checkpoint = CheckpointReader.open(model.resolve("model.ckpt-" + step).toString());
          Tensor a = export.read("hidden_kernel");
          Tensor b = checkpoint.read("hidden_kernel")) {
        assertThat(ExportModel.floats((TFloat32) a)).as("step %d", step).containsExactly(ExportModel.floats((TFloat32) b));
      }
    }
  }

  @Test
  void bestExporterExportsOnlyImprovementsAndRemembersTheBestOnDisk() throws IOException {
    Path base = tmp.resolve("best");
    Map<Long, Double> evalLoss = Map.of(10L, 5.0, 20L, 3.0, 30L, 4.0, 40L, 1.0, 50L, 2.0, 60L, 1.5, 70L, 0.5);
    ExportMetric metric = (session, step) -> evalLoss.get(step);
    try (Graph g = new Graph(); NativeSession session = NativeSession.open(g)) {
      ImportedMetaGraph lr = ExportBadInputTest.linearRef(g);
      lr.saver().orElseThrow().restore(session, ExportBadInputTest.checkpoint());
      SavedModelExporter exporter = ExportBadInputTest.linearExporter(g);

      BestExporter best = BestExporter.builder(exporter, ExportDirectory.of(base), metric).metricName("eval_loss").build();
      for (long step = 10; step <= 50; step += 10) {
        best.afterSave(session, step);
      }
      assertThat(ExportDirectory.of(base).versions()).containsExactly(10L, 20L, 40L);
      assertThat(best.best()).hasValue(1.0);
      assertThat(Files.readString(base.resolve("40/assets.extra/" + BestExporter.METRIC_FILE)))
          .contains("metric=eval_loss", "value=1.0", "global_step=40");

      // A restarted job: a new exporter compares with the best export on disk, not from scratch.
      BestExporter restarted = BestExporter.builder(exporter, ExportDirectory.of(base), metric).metricName("eval_loss").build();
      restarted.afterSave(session, 60);
      assertThat(ExportDirectory.of(base).versions()).containsExactly(10L, 20L, 40L);
      assertThat(restarted.best()).hasValue(1.0);
      restarted.afterSave(session, 70);
      assertThat(ExportDirectory.of(base).versions()).containsExactly(10L, 20L, 40L, 70L);
      assertThat(restarted.lastResult().orElseThrow().verification().performed()).isTrue();

      // Higher is better for an accuracy: the same values rank the other way round.
      Path accBase = tmp.resolve("best-accuracy");
      BestExporter accuracy = BestExporter.builder(exporter, ExportDirectory.of(accBase), metric)
          .metricName("eval_accuracy").higherIsBetter(true).build();
      for (long step = 10; step <= 50; step += 10) {
        accuracy.afterSave(session, step);
      }
      assertThat(ExportDirectory.of(accBase).versions()).containsExactly(10L);
    }
  }
}

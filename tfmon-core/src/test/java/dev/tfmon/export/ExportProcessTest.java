package dev.tfmon.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.hook.CheckpointSaverListener;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.types.TFloat32;

/**
 * Issue 13 across processes: an export loads in a fresh JVM and predicts what the training session
 * predicted; SIGKILL at random moments of exporting never leaves a directory that looks like a
 * complete export and is not one.
 */
@Tag("multiprocess")
class ExportProcessTest {
  private static final Duration START = Duration.ofSeconds(90);
  @TempDir Path tmp;

  @Test
  void exportLoadsInAFreshJvmAndPredictsWhatTheTrainingSessionPredicted() {
    float[][] session = new float[1][];
    Path exportsDir = tmp.resolve("exports");
    try (Graph g = new Graph(); TFloat32 rows = ExportModel.rows(50, 11)) {
      ExportModel m = ExportModel.build(g);
      LatestExporter latest = LatestExporter.builder(
          SavedModelExporter.builder(g).signature(m.signature()).build(), ExportDirectory.of(exportsDir))
          .everyCheckpoint(false).build();
      try (MonitoredSession s = MonitoredTrainingSession.builder(g)
          .checkpointDir(tmp.resolve("model"))
          .scaffold(Scaffold.builder(g).localInitOp(m.iteratorInit()).build())
          .checkpointListener(latest)
          .checkpointListener(new CheckpointSaverListener() {
            @Override
            public void end(dev.tfmon.runtime.RunnableSession native_, long step) {
              session[0] = m.predict(native_, rows);
            }
          })
          .hook(StopAtStepHook.lastStep(80))
          .build()) {
        s.runUntilStopped(x -> x.run(m.trainOp()));
      }
    }
    try (ChildJvm child = ChildJvm.start("predict", SavedModelChildMain.class, List.of(),
        "predict", exportsDir.resolve("80").toString(), "50", "11")) {
      String[] values = child.awaitLine("predictions ", START).substring("predictions ".length()).split(" ");
      float[] fresh = new float[values.length];
      for (int i = 0; i < values.length; i++) {
        fresh[i] = Float.parseFloat(values[i]);
      }
      SavedModelExporterTest.assertClose(fresh, session[0]);
    }
  }

  @Test
  void killedWhileExportingNeverLeavesAnIncompleteExportThatLooksComplete() throws IOException {
    Path base = tmp.resolve("exports");
    Random random = new Random(13);
    int roundsWithLeftovers = 0;
    long next = 1;
    for (int round = 0; round < 8; round++) {
      try (ChildJvm child = ChildJvm.start("exporter", SavedModelChildMain.class, List.of(),
          "loop", base.toString(), Long.toString(next))) {
        child.awaitLine("ready", START);
        int exports = random.nextInt(3);
        for (int i = 0; i < exports; i++) {
          next = Long.parseLong(child.awaitLine("exported ", START).substring(9)) + 1;
        }
        // The child exports without pause: a kill after a random delay lands anywhere in an export.
        sleepMillis(random.nextInt(400));
        child.kill();
      }
      List<String> leftovers = new ArrayList<>();
      try (var children = Files.list(base)) {
        for (Path p : (Iterable<Path>) children::iterator) {
          Long version = ExportDirectory.versionOf(p);
          if (version == null) {
            // an export being written, or an old one keep-N was deleting: never a version name
            assertThat(p.getFileName().toString()).as("round %d", round)
                .matches(n -> n.startsWith(ExportDirectory.TEMP_PREFIX) || n.startsWith(ExportDirectory.DELETING_PREFIX),
                    "starts with " + ExportDirectory.TEMP_PREFIX + " or " + ExportDirectory.DELETING_PREFIX);
            leftovers.add(p.getFileName().toString());
          } else {
            assertCompleteExport(p);
            next = Math.max(next, version + 1);
          }
        }
      }
      if (!leftovers.isEmpty()) {
        roundsWithLeftovers++;
      }
    }
    assertThat(roundsWithLeftovers).as("kills that landed inside an export").isGreaterThan(0);
    assertThat(ExportDirectory.of(base).versions().size()).isBetween(1, 4);
  }

  /** A directory named like a version is a SavedModel TF Java loads, with linear-ref's weights. */
  private static void assertCompleteExport(Path dir) {
    try (SavedModelBundle model = SavedModelBundle.load(dir.toString(), "serve");
        TFloat32 x = TFloat32.tensorOf(org.tensorflow.ndarray.StdArrays.ndCopyOf(new float[][] {{1f, 0f, 0f, 0f}}));
        Result r = model.function("serving_default").call(Map.of("x", x))) {
      float pred = ((TFloat32) r.get("pred").orElseThrow()).getFloat(0, 0);
      // x = [1, 0, 0, 0]: w[0] + b of model.ckpt-30
      assertThat(pred).as("%s", dir).isCloseTo(1.01787841f + 0.251824766f, org.assertj.core.api.Assertions.within(1e-5f));
    }
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}

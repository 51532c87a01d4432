package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inspect}, {@code events} and {@code plot} on files written by Python TensorFlow
 * ({@code shared/interop}; the expected values are those of each folder's PROVENANCE.md).
 */
@Tag("multiprocess")
class InteropCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private final Path interop = InteropDir.get();
  @TempDir Path work;

  @Test
  void inspectReadsPythonsCheckpointDirectoryAndTensor() {
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "inspect", interop.resolve("linear-ref").toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .isEqualTo(
            "checkpoint " + interop.resolve("linear-ref/model.ckpt-30") + ": 3 tensors, 28 bytes in 1 data file\n"
                + "name         dtype    shape   size  bytes\n"
                + "b            float32  [1]        1      4\n"
                + "global_step  int64    []         1      8\n"
                + "w            float32  [4, 1]     4     16\n");
    CliProcess.Result w =
        CliProcess.run(work, TIMEOUT, "inspect", interop.resolve("linear-ref/model.ckpt-10.index").toString(),
            "--tensor", "w");
    assertThat(w.exitCode()).as(w.toString()).isZero();
    assertThat(w.out())
        .isEqualTo("w  float32 [4, 1]  (4 values)\n[1.1659734, -1.6445746, 2.322496, 0.4578476]\n");
  }

  @Test
  void eventsReadsTf1SimpleValuesAndTf2ScalarTensors() {
    CliProcess.Result tf1 = CliProcess.run(work, TIMEOUT, "events", interop.resolve("events-tf1").toString());
    assertThat(tf1.exitCode()).as(tf1.toString()).isZero();
    // Scalars every 5 steps from 0 to 45; the loss is linear-ref's pre-update loss at that step.
    assertThat(tf1.out())
        .containsPattern("(?m)^learning_rate +scalar +10 +0\\.\\.45 +0\\.100000 +0\\.100000 +0\\.100000 +0\\.100000$")
        .containsPattern("(?m)^loss +scalar +10 +0\\.\\.45 +12\\.6092 ")
        // issue 11 item 12: the text and histogram tags are listed with their kinds.
        .containsPattern("(?m)^run_notes +text +1 +0$")
        .containsPattern("(?m)^w +histogram +5 +0\\.\\.40$");
    CliProcess.Result tf2 =
        CliProcess.run(work, TIMEOUT, "events", interop.resolve("events-tf2").toString(), "--tag", "loss");
    assertThat(tf2.exitCode()).as(tf2.toString()).isZero();
    assertThat(tf2.out())
        .startsWith("loss: 20 points\n")
        .containsPattern("(?m)^ +0 +1\\.00000 ")
        .containsPattern("(?m)^ +2 +0\\.333333 ")
        .containsPattern("(?m)^ +19 +0\\.0500000 ");
  }

  @Test
  void plotDrawsOnePanelPerTagOfPythonsEventFile() throws Exception {
    Path png = work.resolve("tf1.png");
    CliProcess.Result r = CliProcess.run(work, TIMEOUT, "plot", interop.resolve("events-tf1").toString(), "-o",
        png.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("wrote " + png + " (900x560, 2 panels: learning_rate, loss)\n");
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(900);
    assertThat(image.getHeight()).isEqualTo(560);
  }
}

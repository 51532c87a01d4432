package dev.tfmon.cli;

import static dev.tfmon.cli.EventFiles.scalar;
import static dev.tfmon.cli.EventFiles.start;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.AtomicFiles;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tfmon events} and {@code tfmon plot} as a user runs them (issue 11 items 11 and 12, issue 17). */
@Tag("multiprocess")
class EventsPlotCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private final Path interop = InteropDir.get();
  @TempDir Path work;

  private CliProcess.Result tfmon(String... args) {
    return CliProcess.run(work, TIMEOUT, args);
  }

  /** runs/a (loss 0..40), runs/b (loss 0..20, resumed at 10 up to 40) and runs/b/eval (accuracy). */
  private Path twoRunsAndAnEval() {
    Path runs = work.resolve("runs");
    EventFiles.write(runs.resolve("a"), 100, start(0), scalar("loss", 0, 1.0), scalar("loss", 10, 0.5),
        scalar("loss", 20, 0.2), scalar("loss", 30, 0.1), scalar("loss", 40, 0.05));
    EventFiles.write(runs.resolve("b"), 100, start(0), scalar("loss", 0, 2.0), scalar("loss", 10, 1.5), scalar("loss", 20, 1.2));
    EventFiles.write(runs.resolve("b"), 300, start(10), scalar("loss", 10, 1.4), scalar("loss", 20, 1.0),
        scalar("loss", 30, 0.7), scalar("loss", 40, 0.6));
    EventFiles.write(runs.resolve("b/eval"), 200, scalar("accuracy", 20, 0.7), scalar("accuracy", 40, 0.8));
    return runs;
  }

  // issue 11 item 12: one garbage file costs a warning naming it; the rest of the directory is read.
  @Test
  void eventsSkipsAGarbageFileWithOneWarningAndListsEveryTagWithItsKind() throws Exception {
    Path dir = InteropDir.copy("events-tf1", work.resolve("tf1"));
    Path garbage = Files.write(dir.resolve("events.out.tfevents.1800000000.junk"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
    CliProcess.Result r = tfmon("events", dir.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).isEqualTo("tfmon: warning: skipped " + garbage
        + ": not an event file (a corrupt record, length CRC mismatch: stored 0x0c0b0a09, computed 0x"
        + r.err().substring(r.err().indexOf("computed 0x") + 11));
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.out()).isEqualTo(
        "tag            kind       points  steps     first         last          min       max\n"
            + "learning_rate  scalar         10  0..45  0.100000     0.100000     0.100000  0.100000\n"
            + "loss           scalar         10  0..45   12.6092  2.91248e-05  2.91248e-05   12.6092\n"
            + "run_notes      text            1  0\n"
            + "w              histogram       5  0..40\n");
  }

  // issue 11 item 12: --tag on a histogram says what it is.
  @Test
  void tagOnAHistogramSaysItIsOne() {
    CliProcess.Result r = tfmon("events", interop.resolve("events-tf1").toString(), "--tag", "w");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("tfmon: error: --tag 'w' is a tag of kind histogram (5 points, steps 0..40), not a "
        + "scalar: tfmon events --tag takes scalar tags only\nTry 'tfmon events --help'.\n");
    CliProcess.Result tf2 = tfmon("plot", interop.resolve("events-tf2").toString(), "-o", work.resolve("x.png").toString(),
        "--tag", "notes");
    assertThat(tf2.err()).startsWith("tfmon: error: --tag 'notes' is a tag of kind text (1 point, step 0), not a scalar");
    assertThat(work.resolve("x.png")).doesNotExist();
  }

  // issue 17: several runs, an eval subdirectory as its own run, in one table and as CSV.
  @Test
  void eventsListsSeveralRunsInOneTableAndAsCsv() {
    Path runs = twoRunsAndAnEval();
    CliProcess.Result r = tfmon("events", runs.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo(
        "run     tag       kind    points  steps      first       last        min       max\n"
            + "a       loss      scalar       5  0..40    1.00000  0.0500000  0.0500000   1.00000\n"
            + "b       loss      scalar       5  0..40    2.00000   0.600000   0.600000   2.00000\n"
            + "b/eval  accuracy  scalar       2  20..40  0.700000   0.800000   0.700000  0.800000\n");
    // b's first attempt wrote steps 10 and 20, which its second attempt (restarted at step 10) wrote again.
    assertThat(r.err()).isEqualTo("tfmon: note: run b: left out 2 points that a resumed attempt wrote again (as TensorBoard does)\n");
    CliProcess.Result csv = tfmon("events", runs.toString(), "--csv", "--tag", "accuracy");
    assertThat(csv.out()).isEqualTo("run,tag,step,wall_time,value\nb/eval,accuracy,20,1020.0,0.7\nb/eval,accuracy,40,1040.0,0.8\n");
  }

  // issue 17: the runs overlaid in one chart, each in its colour; issue 11 item 11 below.
  @Test
  void plotOverlaysTheRunsInTheirColours() throws Exception {
    Path runs = twoRunsAndAnEval();
    Path png = work.resolve("runs.png");
    CliProcess.Result r = tfmon("plot", runs.toString(), "-o", png.toString(), "--log-y", "--x", "relative");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("wrote " + png + " (900x584, 2 panels: accuracy, loss; 3 runs: a, b, b/eval)\n");
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getHeight()).isEqualTo(584);
    for (int run = 0; run < 3; run++) {
      assertThat(pixelsNear(image, CurveChart.colour(run))).as("pixels of run %d's colour", run).isGreaterThan(50);
    }
    assertThat(pixelsNear(image, CurveChart.colour(3))).as("no fourth run").isZero();
    try (var files = Files.list(work)) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(AtomicFiles::isTemporary);
    }
    Path plain = Files.createFile(work.resolve("plain.png"));
    assertThat(Files.getPosixFilePermissions(png))
        .as("the PNG gets the permissions of any new file, not a temp file's owner-only ones")
        .isEqualTo(Files.getPosixFilePermissions(plain));
  }

  // issue 11 item 11: an unwritable destination is one line naming it, no stack trace.
  @Test
  void anUnwritablePngDestinationIsOneLineNamingIt() throws Exception {
    Path runs = twoRunsAndAnEval().resolve("a");
    CliProcess.Result sys = tfmon("plot", runs.toString(), "-o", "/sys/tfmon-test.png");
    assertThat(sys.exitCode()).isEqualTo(1);
    assertThat(sys.err()).startsWith("tfmon: error: -o /sys/tfmon-test.png: cannot write the PNG there (").hasLineCount(1);
    Path file = Files.writeString(work.resolve("plain"), "x");
    CliProcess.Result underFile = tfmon("plot", runs.toString(), "-o", file.resolve("x.png").toString());
    assertThat(underFile.exitCode()).isEqualTo(2);
    assertThat(underFile.err()).startsWith("tfmon: error: -o " + file.resolve("x.png") + ": " + file + " is a file, not a directory\n");
    CliProcess.Result badX = tfmon("plot", runs.toString(), "-o", work.resolve("y.png").toString(), "--x", "epoch");
    assertThat(badX.err()).startsWith("tfmon: error: --x 'epoch': expected step, relative or wall\n");
    CliProcess.Result badSmoothing = tfmon("plot", runs.toString(), "-o", work.resolve("y.png").toString(), "--smoothing", "1");
    assertThat(badSmoothing.err()).startsWith("tfmon: error: --smoothing must be at least 0 and below 1, but got 1.0\n");
  }

  private static int pixelsNear(BufferedImage image, Color colour) {
    int count = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        Color c = new Color(image.getRGB(x, y));
        int d = Math.abs(c.getRed() - colour.getRed()) + Math.abs(c.getGreen() - colour.getGreen())
            + Math.abs(c.getBlue() - colour.getBlue());
        if (d < 30) {
          count++;
        }
      }
    }
    return count;
  }
}

package dev.tfmon.cli;

import static dev.tfmon.cli.EventFiles.scalar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the events and plot commands find, name and read runs (issue 17; issue 11 item 12). */
class EventRunsTest {
  @TempDir Path tmp;
  private final StringWriter err = new StringWriter();

  private List<String> names(Path... paths) {
    return EventRuns.load(List.of(paths), new PrintWriter(err, true)).stream().map(EventRuns.Named::name).toList();
  }

  // issue 17: a model directory and its eval/ are two runs; the model directory keeps its name.
  @Test
  void aModelDirectoryAndItsEvalSubdirectoryAreTwoRuns() {
    Path model = tmp.resolve("runs/spirals");
    EventFiles.write(model, 100, scalar("loss", 1, 1));
    EventFiles.write(model.resolve("eval"), 100, scalar("accuracy", 1, 0.5));
    assertThat(names(model)).containsExactly("spirals", "eval");
    assertThat(names(tmp.resolve("runs"))).containsExactly("spirals", "spirals/eval");
  }

  @Test
  void severalArgumentsAreNamedFromTheirCommonParentAndReadOnce() {
    EventFiles.write(tmp.resolve("runs/a"), 100, scalar("loss", 1, 1));
    EventFiles.write(tmp.resolve("runs/b"), 100, scalar("loss", 1, 2));
    EventFiles.write(tmp.resolve("runs/b/eval"), 100, scalar("loss", 1, 3));
    assertThat(names(tmp.resolve("runs/a"), tmp.resolve("runs/b"))).containsExactly("a", "b", "b/eval");
    assertThat(names(tmp.resolve("runs"), tmp.resolve("runs/b")))
        .as("runs/b is in runs: each run once")
        .containsExactly("runs/a", "runs/b", "runs/b/eval");
  }

  @Test
  void aSingleFileIsARunNamedAfterIt() {
    Path file = EventFiles.write(tmp, 100, scalar("loss", 1, 1));
    assertThat(names(file)).containsExactly(file.getFileName().toString());
  }

  // issue 11 item 12: a garbage file costs a warning line, not the directory.
  @Test
  void aGarbageFileIsSkippedWithOneWarningLine() throws IOException {
    EventFiles.write(tmp, 100, scalar("loss", 1, 1));
    Path garbage = Files.writeString(tmp.resolve("events.out.tfevents.0000000200.junk"), "{\"not\": \"records\"}\n");
    List<EventRuns.Named> runs = EventRuns.load(List.of(tmp), new PrintWriter(err, true));
    assertThat(runs.get(0).contents().scalars()).containsKey("loss");
    assertThat(err.toString())
        .startsWith("tfmon: warning: skipped " + garbage + ": not an event file (a corrupt record, length CRC mismatch")
        .hasLineCount(1);
  }

  @Test
  void aMissingPathIsAUsageErrorAndNoEventFilesAFailure() throws IOException {
    assertThatThrownBy(() -> names(tmp.resolve("nowhere")))
        .isInstanceOf(CliException.class)
        .hasMessage("event directory " + tmp.resolve("nowhere") + ": no such file or directory")
        .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(2));
    Files.createDirectories(tmp.resolve("empty/sub"));
    assertThatThrownBy(() -> names(tmp.resolve("empty")))
        .isInstanceOf(CliException.class)
        .hasMessage("no event files (events.out.tfevents.*) in " + tmp.resolve("empty") + " or its subdirectories")
        .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(1));
  }

  // issue 11 item 12: --tag on a tag that is not a scalar says what it is.
  @Test
  void aNonScalarTagSaysWhatItIs() {
    EventFiles.write(tmp, 100, scalar("loss", 1, 1), EventFiles.histogram("weights", 1), EventFiles.histogram("weights", 5));
    List<EventRuns.Named> runs = EventRuns.load(List.of(tmp), new PrintWriter(err, true));
    assertThat(EventRuns.scalarTags(runs, null, "plot")).containsExactly("loss");
    assertThatThrownBy(() -> EventRuns.scalarTags(runs, List.of("weights"), "plot"))
        .isInstanceOf(CliException.class)
        .hasMessage("--tag 'weights' is a tag of kind histogram (2 points, steps 1..5), not a scalar: "
            + "tfmon plot takes scalar tags only");
    assertThatThrownBy(() -> EventRuns.scalarTags(runs, List.of("accuracy"), "plot"))
        .hasMessage("--tag 'accuracy': no such tag in " + tmp + "; tags: loss (scalar), weights (histogram)");
  }
}

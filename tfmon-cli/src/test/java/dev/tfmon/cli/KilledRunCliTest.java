package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.summary.EventRun;
import dev.tfmon.summary.RunContents;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 item 1, end to end: {@code tfmon train} killed with SIGKILL keeps its summaries up to the
 * last flush, {@code tfmon events} shows them without a warning, and the resumed run is marked.
 */
@Tag("multiprocess")
class KilledRunCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  @TempDir Path work;

  /** The loss points on disk, once there are at least {@code count} (polled until the deadline). */
  private static List<ScalarPoint> awaitLossPoints(Path run, int count, CliProcess training) {
    return Await.until(count + " loss points on disk", TIMEOUT, () -> {
      if (!run.toFile().isDirectory()) {
        return List.<ScalarPoint>of();
      }
      List<EventRun> runs = EventRun.find(run);
      return runs.isEmpty() ? List.<ScalarPoint>of()
          : RunContents.read(runs.get(0)).scalars().getOrDefault("loss", List.of());
    }, loss -> loss.size() >= count);
  }


  @Test
  void eventsShowsTheSummariesOfAKilledRunAndMarksItsResumption() throws Exception {
    Path run = work.resolve("run");
    List<ScalarPoint> flushed;
    try (CliProcess training = CliProcess.start(work, "train", "--model-dir", run.toString(), "--max-steps", "100000000",
        "--summary-steps", "10", "--flush-secs", "1", "--save-checkpoint-steps", "200", "--log-steps", "1000")) {
      flushed = awaitLossPoints(run, 30, training);
    } // close() kills it with SIGKILL

    CliProcess.Result events = CliProcess.run(work, TIMEOUT, "events", run.toString());
    assertThat(events.exitCode()).as(events.toString()).isZero();
    assertThat(events.err()).as("whole records only: nothing to warn about").isEmpty();
    Matcher loss = Pattern.compile("(?m)^loss +scalar +(\\d+) +1\\.\\.(\\d+) ").matcher(events.out());
    assertThat(loss.find()).as(events.out()).isTrue();
    assertThat(Integer.parseInt(loss.group(1))).isGreaterThanOrEqualTo(flushed.size());
    assertThat(Long.parseLong(loss.group(2))).isGreaterThanOrEqualTo(flushed.get(flushed.size() - 1).step());

    String checkpoint = Checkpoints.latestCheckpoint(run).orElseThrow();
    long restored = Long.parseLong(checkpoint.substring(checkpoint.lastIndexOf('-') + 1));
    CliProcess.Result resumed = CliProcess.run(work, TIMEOUT, "train", "--model-dir", run.toString(),
        "--max-steps", Long.toString(restored + 50), "--summary-steps", "10");
    assertThat(resumed.exitCode()).as(resumed.toString()).isZero();
    assertThat(resumed.out()).contains("resuming from checkpoint " + checkpoint);

    CliProcess.Result json = CliProcess.run(work, TIMEOUT, "events", run.toString(), "--json");
    assertThat(json.exitCode()).as(json.toString()).isZero();
    JsonNode doc = new ObjectMapper().readTree(json.out()).get("runs").get(0);
    assertThat(doc.get("files")).hasSize(2);
    assertThat(doc.get("restarts")).hasSize(1);
    long restartStep = doc.get("restarts").get(0).get("step").asLong();
    assertThat(restartStep).isBetween(restored, restored + 1);
    // The killed attempt's summaries after the checkpoint were trained again: only the new ones are kept.
    JsonNode points = doc.get("scalars").get("loss");
    for (int i = 1; i < points.size(); i++) {
      assertThat(points.get(i).get("step").asLong()).as("steps increase").isGreaterThan(points.get(i - 1).get("step").asLong());
    }
    assertThat(points.get(points.size() - 1).get("step").asLong()).isGreaterThan(restored);

    Path png = work.resolve("run.png");
    CliProcess.Result plot = CliProcess.run(work, TIMEOUT, "plot", run.toString(), "-o", png.toString());
    assertThat(plot.exitCode()).as(plot.toString()).isZero();
    assertThat(plot.out()).startsWith("wrote " + png + " (900x834, 3 panels: accuracy, global_step/sec, loss)");
  }
}

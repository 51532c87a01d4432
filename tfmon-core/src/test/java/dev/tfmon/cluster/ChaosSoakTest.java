package dev.tfmon.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos soak of issue 14 item 4: 2 ps + 4 workers train to a fixed step while a seeded
 * schedule kills a random task every few seconds ({@link ChaosSoak}). The short soak runs with the
 * multi-process tests; the long one only with {@code mvn -B -pl tfmon-core verify -Psoak} (see
 * docs/BENCHMARKS.md). Each appends its summary to {@code target/chaos-soak.txt}.
 */
@Tag("multiprocess")
class ChaosSoakTest {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosSoakTest.class);

  @TempDir Path modelDir;

  private static void record(ChaosSoak.Report report) throws IOException {
    LOG.info(report.summary());
    for (ChaosSoak.Kill k : report.kills()) {
      LOG.info("  killed {} at +{} ms: serving again after {} ms, training again after {} ms",
          k.task(), k.killedAtMs() - report.startMs(), k.readyAfterMs(), k.recoveredAfterMs());
    }
    Files.writeString(Path.of("target", "chaos-soak.txt"), report.summary() + System.lineSeparator(),
        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  // issue 14 item 4: the short soak, in every CI run
  @Test
  void shortSoakReachesTheTargetStepThroughKillsOfAnyTask() throws Exception {
    ChaosSoak soak =
        // paced (40 ms after each step) so that even a fast machine sees the three kills
        new ChaosSoak(2L, 2, 4, 1000, 1000, 3, Duration.ofMillis(2500), 40, Duration.ofMinutes(4), List.of());
    ChaosSoak.Report report = soak.run(modelDir);
    record(report);
    // seed 2 kills a worker, a ps task, then the chief
    assertThat(report.kills()).extracting(ChaosSoak.Kill::task).containsExactly("worker2", "ps0", "worker0");
    assertThat(report.finalStep()).isGreaterThanOrEqualTo(1000);
  }

  // issue 14 item 4: the long soak (mvn -B -pl tfmon-core verify -Psoak)
  @Test
  @Tag("soak")
  void longSoakReachesTheTargetStepThroughAStormOfKills() throws Exception {
    long seed = Long.getLong("soak.seed", 1414L);
    int kills = Integer.getInteger("soak.kills", 60);
    ChaosSoak soak =
        new ChaosSoak(seed, 2, 4, 40_000, 36_000, kills, Duration.ofSeconds(5), 20, Duration.ofMinutes(40), List.of());
    ChaosSoak.Report report = soak.run(modelDir);
    record(report);
    assertThat(report.kills()).hasSizeGreaterThanOrEqualTo(Math.min(kills, 10));
  }
}

package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.SummaryWriterCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

/** MonitoredTrainingSession's opt-in {@code fetchStepEveryNRuns} (issue 16). */
class MonitoredTrainingSessionStepFetchTest {
  @TempDir Path dir;

  @AfterEach
  void closeWriters() {
    SummaryWriterCache.clear();
  }

  /** What a training of {@code steps} runs left in {@code out}: checkpoint steps, then event steps by tag. */
  private static List<String> train(Path out, int fetchStepEveryNRuns, int steps) throws IOException {
    try (Graph g = new Graph()) {
      dev.tfmon.graph.GlobalStep.getOrCreate(g);
      // ordered after the step's read, so the stale step a hook fetches is exact (no race)
      org.tensorflow.Operation train = dev.tfmon.graph.GlobalStep.increment(g, 1);
      Ops tf = Ops.create(g);
      dev.tfmon.summary.Summaries.scalar(g, "two", tf.constant(2f));
      MonitoredTrainingSession.Builder b =
          MonitoredTrainingSession.builder(g)
              .checkpointDir(out)
              .saveCheckpointSteps(20)
              .saveSummariesSteps(10)
              .logStepCountSteps(15);
      if (fetchStepEveryNRuns > 0) {
        b.fetchStepEveryNRuns(fetchStepEveryNRuns);
      }
      try (MonitoredSession session = b.build()) {
        for (int i = 0; i < steps; i++) {
          session.run(train);
        }
      }
    }
    SummaryWriterCache.clear();
    List<String> seen = new ArrayList<>();
    TreeSet<Long> ckpts = new TreeSet<>();
    try (Stream<Path> files = Files.list(out)) {
      files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("model.ckpt-") && n.endsWith(".index"))
          .forEach(n -> ckpts.add(Long.parseLong(n.substring(11, n.length() - 6))));
    }
    seen.add("checkpoints " + ckpts);
    for (Path f : EventFileReader.eventFiles(out)) {
      for (Event e : EventFileReader.readAll(f)) {
        for (Summary.Value v : e.getSummary().getValueList()) {
          seen.add(v.getTag() + "@" + e.getStep());
        }
        if (e.hasSessionLog()) {
          seen.add(e.getSessionLog().getStatus() + "@" + e.getStep());
        }
      }
    }
    return seen;
  }

  // issue 16: in a loop that alone advances the step, the opt-in mode writes what TF 1.x's does.
  @Test
  void theOptInModeWritesTheSameCheckpointsAndEventsAsTheDefault() throws IOException {
    List<String> tf1 = train(dir.resolve("default"), 0, 64);
    List<String> optIn = train(dir.resolve("every10"), 10, 64);

    assertThat(tf1).contains("checkpoints [0, 20, 40, 60, 64]", "two@1", "two@61", "global_step/sec@46");
    assertThat(optIn).isEqualTo(tf1);
  }

  // issue 16
  @Test
  void fetchStepEveryNRunsBelowOneIsRefusedAtBuildNamingTheValue() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping.build(g);
      assertThatThrownBy(
              () -> MonitoredTrainingSession.builder(g).checkpointDir(dir).fetchStepEveryNRuns(0).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected fetchStepEveryNRuns of at least 1, but got 0");
      assertThat(dir).isEmptyDirectory();
    }
  }
}

package dev.tfmon.session;

import static dev.tfmon.session.Fixtures.longOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.hook.CheckpointSaverHook;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.summary.SummaryWriterCache;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;

/** MonitoredSession scenarios that use the standard hooks (MST-060, MST-062). */
class MonitoredSessionStandardHooksTest {
  @TempDir Path dir;

  @AfterEach
  void closeWriters() {
    SummaryWriterCache.clear();
  }

  @Test
  void mst060_lastStep() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      Scaffold scaffold = Scaffold.of(g);
      String saved = dir.resolve("step-3").toString();
      try (MonitoredSession session =
          MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).build()).hook(StopAtStepHook.lastStep(3)).build()) {
        assertThat(longOf(session.run(s.value()))).isEqualTo(0);
        assertThat(session.shouldStop()).isFalse();
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(1);
        assertThat(session.shouldStop()).isFalse();
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(2);
        assertThat(session.shouldStop()).isFalse();
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(3);
        assertThat(session.shouldStop()).isTrue();
        session.runStepFn(ctx -> scaffold.saver().save(ctx.session(), saved));
      }
      Scaffold restoring =
          Scaffold.builder(g).initFn((sc, raw) -> sc.saver().restore(raw, saved)).build();
      try (MonitoredSession session =
          MonitoredSession.builder(ChiefSessionCreator.builder(restoring).build()).hook(StopAtStepHook.lastStep(5)).build()) {
        assertThat(longOf(session.run(s.value()))).isEqualTo(3);
        assertThat(session.shouldStop()).isFalse();
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(4);
        assertThat(session.shouldStop()).isFalse();
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(5);
        assertThat(session.shouldStop()).isTrue();
      }
    }
  }

  @Test
  void mst062_recovery() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      Scaffold scaffold = Scaffold.of(g);
      try (MonitoredSession session =
          MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).checkpointDir(dir).build())
              .hook(CheckpointSaverHook.builder(dir).saveSteps(1).scaffold(scaffold).build())
              .build()) {
        assertThat(longOf(session.run(s.value()))).isEqualTo(0);
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(1);
        assertThat(longOf(session.run(s.doStep()))).isEqualTo(2);
      }
      try (MonitoredSession session =
          MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).checkpointDir(dir).build()).build()) {
        assertThat(longOf(session.run(s.value()))).isEqualTo(2);
      }
      String latest = Checkpoints.latestCheckpoint(dir).orElseThrow();
      try (MonitoredSession session =
          MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).checkpointPath(latest).build()).build()) {
        assertThat(longOf(session.run(s.value()))).isEqualTo(2);
      }
    }
  }
}

package dev.tfmon.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.runtime.NativeSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.types.TFloat32;

/** The state file and checkpoint helpers (scenarios CMT-*, spec section 14). */
class CheckpointStateTest {
  @TempDir Path tmp;

  /** A relative path to {@code p} from the working directory (Java cannot change it). */
  private static Path relative(Path p) {
    return Path.of("").toAbsolutePath().relativize(p.toAbsolutePath());
  }

  @Test
  void cmt03_absolutePathStaysAbsolute() {
    // Scenario CMT-03.
    String model = tmp.resolve("model-0").toString();
    CheckpointState s = Checkpoints.generateCheckpointState(tmp, model, null, null, 0);
    assertThat(s.modelCheckpointPath()).isEqualTo(model);
    assertThat(Path.of(s.modelCheckpointPath()).isAbsolute()).isTrue();
    assertThat(s.allModelCheckpointPaths()).containsExactly(model);
  }

  @Test
  void cmt04_relativePathsBecomeRelativeToTheDirectory() {
    // Scenario CMT-04.
    CheckpointState s =
        Checkpoints.generateCheckpointState(Path.of("train"), "train/model-0", null, null, 0);
    assertThat(s.modelCheckpointPath()).isEqualTo("model-0");
    assertThat(s.allModelCheckpointPaths()).containsExactly("model-0");
  }

  @Test
  void cmt05_modelPathIsAppendedUnlessLast() {
    // Scenario CMT-05.
    String model = tmp.resolve("model-0").toString();
    assertThat(Checkpoints.generateCheckpointState(tmp, model, null, null, 0).allModelCheckpointPaths())
        .containsExactly(model);
    assertThat(Checkpoints.generateCheckpointState(tmp, model, List.of(), null, 0).allModelCheckpointPaths())
        .containsExactly(model);
    CheckpointState s = Checkpoints.generateCheckpointState(tmp, model, List.of("model-2"), null, 0);
    assertThat(s.modelCheckpointPath()).isEqualTo(model);
    assertThat(s.allModelCheckpointPaths()).containsExactly("model-2", model);
    assertThatThrownBy(
            () -> Checkpoints.generateCheckpointState(tmp, model, List.of("a"), List.of(1.0), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected one timestamp per checkpoint path (2), but got 1 timestamps");
  }

  @Test
  void cmt06_cmt07_updateThenReadWithRelativeDirectory() throws Exception {
    // Scenario CMT-06, CMT-07.
    Path train = relative(tmp.resolve("train"));
    Files.createDirectories(train);
    String abs0 = tmp.resolve("model-0").toString();
    String rel2 = train.resolve("model-2").toString();
    Checkpoints.updateCheckpointState(train, rel2, List.of(abs0, rel2), null, 0, false);
    // on disk, the relative path is relative to the directory and the absolute one untouched
    assertThat(Files.readString(train.resolve("checkpoint")))
        .isEqualTo(
            "model_checkpoint_path: \"model-2\"\n"
                + "all_model_checkpoint_paths: \"" + abs0 + "\"\n"
                + "all_model_checkpoint_paths: \"model-2\"\n");
    // CMT-07: the directory is given as a java.nio.file.Path
    CheckpointState s = Checkpoints.checkpointState(train).orElseThrow();
    assertThat(s.modelCheckpointPath()).isEqualTo(rel2);
    assertThat(s.allModelCheckpointPaths()).containsExactly(abs0, rel2);
  }

  @Test
  void cmt09_emptyStateFileIsAnError() throws Exception {
    // Scenario CMT-09.
    Files.writeString(tmp.resolve("checkpoint"), "");
    assertThatThrownBy(() -> Checkpoints.checkpointState(tmp))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid checkpoint state loaded from " + tmp);
  }

  @Test
  void garbageOrMissingStateFileReadsAsEmpty() throws Exception {
    assertThat(Checkpoints.checkpointState(tmp)).isEmpty();
    Files.writeString(tmp.resolve("checkpoint"), "this is not { a state");
    assertThat(Checkpoints.checkpointState(tmp)).isEmpty();
    assertThat(Checkpoints.latestCheckpoint(tmp)).isEmpty();
  }

  @Test
  void textFormatRoundTripsEscapesAndTimestamps() throws Exception {
    CheckpointState s =
        new CheckpointState(
            "dir/\"odd\" βeta\\x", List.of("a\tb", "dir/\"odd\" βeta\\x"), List.of(1.5, 1764035778.25), 1764000000.0);
    String text = StateFile.format(s);
    assertThat(text)
        .isEqualTo(
            "model_checkpoint_path: \"dir/\\\"odd\\\" \\316\\262eta\\\\x\"\n"
                + "all_model_checkpoint_paths: \"a\\tb\"\n"
                + "all_model_checkpoint_paths: \"dir/\\\"odd\\\" \\316\\262eta\\\\x\"\n"
                + "all_model_checkpoint_timestamps: 1.5\n"
                + "all_model_checkpoint_timestamps: 1764035778.25\n"
                + "last_preserved_timestamp: 1764000000\n");
    assertThat(StateFile.parse(text)).isEqualTo(s);
    assertThatThrownBy(() -> StateFile.parse("model_checkpoint_path: \"a\"\nbogus: 1\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("line 2 has unknown field 'bogus'");
  }

  @Test
  void cmt11_checkpointExists() {
    // Scenario CMT-11.
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).build();
      String prefix = tmp.resolve("false-V2").toString();
      assertThat(Checkpoints.checkpointExists(prefix)).isFalse();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        String saved = saver.save(s, prefix);
        assertThat(Checkpoints.checkpointExists(saved)).isTrue();
        assertThat(Checkpoints.checkpointExists(Checkpoints.latestCheckpoint(tmp).orElseThrow())).isTrue();
      }
    }
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).sharded(true).build();
      String prefix = tmp.resolve("true-V2").toString();
      assertThat(Checkpoints.checkpointExists(prefix)).isFalse();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        String saved = saver.save(s, prefix);
        assertThat(Checkpoints.checkpointExists(saved)).isTrue();
        assertThat(Checkpoints.latestCheckpoint(tmp)).contains(saved);
      }
    }
  }

  @Test
  void cmt12_checkpointMtimes() {
    // Scenario CMT-12.
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        String first = saver.save(s, tmp.resolve("first").toString());
        String second = saver.save(s, tmp.resolve("second").toString());
        List<Double> times =
            Checkpoints.checkpointMtimes(List.of(first, second, tmp.resolve("missing").toString()));
        assertThat(times).hasSize(2);
        assertThat(times.get(1)).isGreaterThanOrEqualTo(times.get(0));
      }
    }
  }

  @Test
  void cmt02_latestCheckpointWithRelativePaths() {
    // Scenario CMT-02.
    Path train = relative(tmp.resolve("train"));
    String prefix = train.resolve("snapshot").toString();
    try (Graph g = new Graph()) {
      GraphOperation v0 = TestModels.scalar(g, "v0", 0f);
      try (TFloat32 one = TFloat32.scalarOf(1f)) {
        var c = g.opBuilder("Const", "one", org.tensorflow.op.Ops.create(g).scope())
            .setAttr("dtype", one.dataType()).setAttr("value", one).build();
        g.opBuilder("AssignAdd", "increment", org.tensorflow.op.Ops.create(g).scope())
            .addInput(v0.output(0)).addInput(c.output(0)).build();
      }
      Saver saver = Saver.builder(g).variableNames(List.of("v0")).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        for (long step = 0; step < 3; step++) {
          saver.save(s, prefix, step);
          if (step < 2) {
            s.runner().addTarget("increment").run().close();
          }
        }
      }
    }
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v0", -1f);
      Saver saver = Saver.builder(g).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        String name = Checkpoints.latestCheckpoint(train).orElseThrow();
        assertThat(name).isEqualTo(train.resolve("snapshot-2").toString());
        saver.restore(s, name);
        assertThat(TestModels.floatValue(s, "v0")).isEqualTo(2f);
      }
    }
  }

  @Test
  void metaGraphFilenameStripsShardSuffix() {
    assertThat(Checkpoints.metaGraphFilename("/d/model-10")).isEqualTo("/d/model-10.meta");
    assertThat(Checkpoints.metaGraphFilename("/d/model-10-00000-of-00002")).isEqualTo("/d/model-10.meta");
    assertThat(Checkpoints.metaGraphFilename("/d/model-10-?????-of-00002")).isEqualTo("/d/model-10.meta");
  }
}

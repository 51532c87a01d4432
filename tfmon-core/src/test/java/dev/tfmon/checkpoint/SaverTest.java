package dev.tfmon.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** The Saver (scenarios SVT-*, spec section 13). */
class SaverTest {
  @TempDir Path tmp;

  private long filesStartingWith(Path dir, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
    }
  }

  @Test
  void svt02_restoreFromInvalidPathNamesIt() {
    // Scenario SVT-02.
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v0", 0f);
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        assertThatThrownBy(() -> saver.restore(s, "invalid path"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("The passed save_path is not a valid checkpoint: invalid path");
        assertThatThrownBy(() -> saver.restore(s, null))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("Can't load save_path when it is None");
      }
    }
  }

  @Test
  void svt03_svt04_globalStepSuffixPlainAndPadded() {
    // Scenario SVT-03, SVT-04.
    String prefix = tmp.resolve("P").toString();
    for (boolean pad : new boolean[] {false, true}) {
      try (Graph g = new Graph()) {
        TestModels.scalar(g, "var0", 1f);
        Ops tf = Ops.create(g);
        var five = tf.constant(5L);
        Saver saver = Saver.builder(g).padStepNumber(pad).build();
        try (NativeSession s = NativeSession.open(g)) {
          TestModels.initialize(s);
          String expected = pad ? prefix + "-00000005" : prefix + "-5";
          assertThat(saver.save(s, prefix, five)).isEqualTo(expected);
          assertThat(saver.save(s, prefix, 5L)).isEqualTo(expected);
          saver.restore(s, expected);
        }
      }
    }
  }

  @Test
  void svt05_saveCreatesMissingParentsOrFailsNamingThePrefix() throws IOException {
    // Scenario SVT-05.
    Path file = Files.writeString(tmp.resolve("a_file"), "x");
    List<String> prefixes =
        List.of(
            tmp.resolve("missing/ckpt").toString(),
            tmp.resolve("two/missing/ckpt").toString(),
            file.resolve("ckpt").toString());
    for (String prefix : prefixes) {
      try (Graph g = new Graph()) {
        TestModels.scalar(g, "v0", 10f);
        TestModels.scalar(g, "v1", 20f);
        Saver saver = Saver.create(g);
        try (NativeSession s = NativeSession.open(g)) {
          TestModels.initialize(s);
          if (prefix.startsWith(file.toString())) {
            assertThatThrownBy(() -> saver.save(s, prefix))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Parent directory of " + prefix + " doesn't exist, can't save.");
            continue;
          }
          saver.save(s, prefix);
        }
      }
      try (Graph g = new Graph()) {
        TestModels.scalar(g, "v0", -1f);
        TestModels.scalar(g, "v1", -1f);
        Saver saver = Saver.create(g);
        try (NativeSession s = NativeSession.open(g)) {
          saver.restore(s, prefix);
          assertThat(TestModels.floatValue(s, "v0")).isEqualTo(10f);
          assertThat(TestModels.floatValue(s, "v1")).isEqualTo(20f);
        }
      }
    }
  }

  @Test
  void svt08_shardedOverTwoDevicesKeepsTwo() throws IOException {
    // Scenario SVT-08.
    ConfigProto twoCpus = ConfigProto.newBuilder().putDeviceCount("CPU", 2).build();
    try (Graph g = new Graph()) {
      try (TFloat32 a = TFloat32.scalarOf(111f); TFloat32 b = TFloat32.scalarOf(222f)) {
        TestModels.variable(g, "v0", a, "/device:CPU:0");
        TestModels.variable(g, "v1", b, "/device:CPU:1");
      }
      Saver saver = Saver.builder(g).sharded(true).maxToKeep(2).build();
      assertThat(saver.saverDef().getSharded()).isTrue();
      try (NativeSession s = NativeSession.open(g, "", twoCpus)) {
        TestModels.initialize(s);
        assertThat(saver.lastCheckpoints()).isEmpty();
        String s1 = saver.save(s, tmp.resolve("s1").toString());
        assertThat(saver.lastCheckpoints()).containsExactly(s1);
        assertThat(filesStartingWith(tmp, "s1")).isEqualTo(4);
        assertThat(tmp.resolve("s1.data-00000-of-00002")).exists();
        assertThat(tmp.resolve("s1.data-00001-of-00002")).exists();
        assertThat(tmp.resolve("s1.meta")).exists();
        String s2 = saver.save(s, tmp.resolve("s2").toString());
        assertThat(saver.lastCheckpoints()).containsExactly(s1, s2);
        assertThat(filesStartingWith(tmp, "s1")).isEqualTo(4);
        assertThat(filesStartingWith(tmp, "s2")).isEqualTo(4);
        String s3 = saver.save(s, tmp.resolve("s3").toString());
        assertThat(saver.lastCheckpoints()).containsExactly(s2, s3);
        assertThat(filesStartingWith(tmp, "s1")).isZero();
        assertThat(filesStartingWith(tmp, "s2")).isEqualTo(4);
        assertThat(filesStartingWith(tmp, "s3")).isEqualTo(4);
        // no temporary shard directory is left behind
        assertThat(filesStartingWith(tmp, "s3_temp")).isZero();
      }
      try (CheckpointReader r = CheckpointReader.open(tmp.resolve("s3").toString())) {
        assertThat(r.numShards()).isEqualTo(2);
        assertThat(r.variables().get("v0").shardId()).isEqualTo(0);
        assertThat(r.variables().get("v1").shardId()).isEqualTo(1);
      }
    }
  }

  @Test
  void svt09_noMaxToKeepTracksAndDeletesNothing() {
    // Scenario SVT-09.
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).maxToKeep(0).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        for (int i = 1; i <= 7; i++) {
          String p = saver.save(s, tmp.resolve("s" + i).toString());
          assertThat(saver.lastCheckpoints()).isEmpty();
          assertThat(Checkpoints.checkpointState(tmp).orElseThrow().allModelCheckpointPaths())
              .containsExactly(p);
        }
        for (int i = 1; i <= 7; i++) {
          assertThat(Checkpoints.checkpointExists(tmp.resolve("s" + i).toString())).isTrue();
        }
      }
    }
  }

  @Test
  void svt10_noMetaGraph() {
    // Scenario SVT-10.
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        String p = saver.save(s, tmp.resolve("s1").toString(), null, false);
        assertThat(Checkpoints.checkpointExists(p)).isTrue();
        assertThat(tmp.resolve("s1.meta")).doesNotExist();
      }
    }
  }

  @Test
  void svt12_keepCheckpointEveryNHours() {
    // Scenario SVT-12.
    long t = 1_700_000_000_000L;
    ManualClock clock = ManualClock.atMillis(t);
    try (Graph g = new Graph()) {
      try (TFloat32 v = TFloat32.vectorOf(10f)) {
        TestModels.variable(g, "v", v);
      }
      Saver saver =
          Saver.builder(g).maxToKeep(2).keepCheckpointEveryNHours(0.7 / 3600).clock(clock).build();
      assertThat(saver.lastCheckpoints()).isEmpty();
      clock.setMillis(t + 1000);
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        String s1 = saver.save(s, tmp.resolve("s1").toString());
        assertThat(saver.lastCheckpoints()).containsExactly(s1);
        String s2 = saver.save(s, tmp.resolve("s2").toString());
        assertThat(saver.lastCheckpoints()).containsExactly(s1, s2);
        String s3 = saver.save(s, tmp.resolve("s3").toString());
        assertThat(saver.lastCheckpoints()).containsExactly(s2, s3);
        String s4 = saver.save(s, tmp.resolve("s4").toString());
        assertThat(saver.lastCheckpoints()).containsExactly(s3, s4);
        assertThat(Checkpoints.checkpointExists(s1)).isTrue();
        assertThat(Checkpoints.checkpointExists(s2)).isFalse();
        assertThat(Checkpoints.checkpointExists(s3)).isTrue();
        assertThat(Checkpoints.checkpointExists(s4)).isTrue();
      }
    }
  }

  @Test
  void stateFileHoldsPathsAndTimesAndRestartedSaverKeepsDeletingInOrder() throws IOException {
    String prefix = tmp.resolve("model.ckpt").toString();
    ManualClock clock = ManualClock.atMillis(1_700_000_000_000L);
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).maxToKeep(2).clock(clock).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        saver.save(s, prefix, 1);
        clock.setMillis(1_700_000_001_500L);
        saver.save(s, prefix, 2);
      }
    }
    // issue 11 item 3: checkpoints inside the directory are named relative to it
    assertThat(Files.readString(tmp.resolve("checkpoint")))
        .isEqualTo(
            "model_checkpoint_path: \"model.ckpt-2\"\n"
                + "all_model_checkpoint_paths: \"model.ckpt-1\"\n"
                + "all_model_checkpoint_paths: \"model.ckpt-2\"\n"
                + "all_model_checkpoint_timestamps: 1700000000\n"
                + "all_model_checkpoint_timestamps: 1700000001.5\n"
                + "last_preserved_timestamp: 1700000000\n");
    // a new process: a fresh saver over the same directory deletes model.ckpt-1 first
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).maxToKeep(2).clock(clock).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        saver.save(s, prefix, 3);
        assertThat(saver.lastCheckpoints()).containsExactly(prefix + "-2", prefix + "-3");
        assertThat(Checkpoints.checkpointExists(prefix + "-1")).isFalse();
        assertThat(Path.of(prefix + "-1.meta")).doesNotExist();
        assertThat(Checkpoints.checkpointExists(prefix + "-2")).isTrue();
      }
    }
  }

  @Test
  void relativePathsInStateFile() throws IOException {
    // issue 11 item 3: relative inside the directory (the default), absolute when turned off or
    // when the checkpoint lies elsewhere
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver relative = Saver.create(g);
      Saver absolute = Saver.builder(g).saveRelativePaths(false).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        relative.save(s, tmp.resolve("model.ckpt").toString(), 7);
        assertThat(Files.readString(tmp.resolve("checkpoint")))
            .startsWith("model_checkpoint_path: \"model.ckpt-7\"\nall_model_checkpoint_paths: \"model.ckpt-7\"\n");
        assertThat(Checkpoints.latestCheckpoint(tmp)).contains(tmp.resolve("model.ckpt-7").toString());
        absolute.save(s, tmp.resolve("abs/model.ckpt").toString(), 8);
        assertThat(Files.readString(tmp.resolve("abs/checkpoint")))
            .startsWith("model_checkpoint_path: \"" + tmp.resolve("abs/model.ckpt-8") + "\"\n");
      }
    }
    Path outside = tmp.resolve("elsewhere/model.ckpt-9");
    Files.createDirectories(tmp.resolve("dir"));
    Checkpoints.updateCheckpointState(
        tmp.resolve("dir"), outside.toString(), List.of(tmp.resolve("dir/model.ckpt-3").toString(), outside.toString()),
        null, 0, true);
    assertThat(Files.readString(tmp.resolve("dir/checkpoint")))
        .isEqualTo("model_checkpoint_path: \"" + outside + "\"\n"
            + "all_model_checkpoint_paths: \"model.ckpt-3\"\n"
            + "all_model_checkpoint_paths: \"" + outside + "\"\n");
  }

  @Test
  void restoreNamesEveryMissingOrMismatchedVariable() {
    String prefix = tmp.resolve("m").toString();
    try (Graph g = new Graph()) {
      try (TFloat32 w = TFloat32.tensorOf(TestModels.shape(4, 1)); TInt64 step = TInt64.scalarOf(3)) {
        TestModels.variable(g, "w", w);
        TestModels.variable(g, "global_step", step);
      }
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        saver.save(s, prefix);
      }
    }
    try (Graph g = new Graph()) {
      try (TFloat64 w = TFloat64.tensorOf(TestModels.shape(2));
          TFloat32 step = TFloat32.tensorOf(TestModels.shape(4, 1));
          TFloat32 extra = TFloat32.scalarOf(1f)) {
        TestModels.variable(g, "w", w);
        TestModels.variable(g, "global_step", step);
        TestModels.variable(g, "extra", extra);
      }
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        assertThatThrownBy(() -> saver.restore(s, prefix))
            .isInstanceOf(NotFoundException.class)
            .hasMessage(
                "NOT_FOUND: Restoring from checkpoint " + prefix + " failed, the graph does not match it:"
                    + " variable 'extra' (float32 []) is missing from the checkpoint;"
                    + " variable 'global_step': the graph expects float32 [4, 1], the checkpoint has int64 [];"
                    + " variable 'w': the graph expects float64 [2], the checkpoint has float32 [4, 1]");
      }
    }
    try (Graph g = new Graph()) {
      try (TFloat32 w = TFloat32.tensorOf(TestModels.shape(1, 4))) {
        TestModels.variable(g, "w", w);
      }
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        assertThatThrownBy(() -> saver.restore(s, prefix))
            .isInstanceOf(InvalidArgumentException.class)
            .hasMessageEndingWith(
                "variable 'w': the graph expects float32 [1, 4], the checkpoint has float32 [4, 1]");
      }
    }
  }

  @Test
  void saverDefAndOpNamesMatchPython() {
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).maxToKeep(3).build();
      SaverDef def = saver.saverDef();
      assertThat(def.getFilenameTensorName()).isEqualTo("save/Const:0");
      assertThat(def.getSaveTensorName()).isEqualTo("save/control_dependency:0");
      assertThat(def.getRestoreOpName()).isEqualTo("save/restore_all");
      assertThat(def.getMaxToKeep()).isEqualTo(3);
      assertThat(def.getVersion()).isEqualTo(SaverDef.CheckpointFormatVersion.V2);
      Saver second = Saver.create(g);
      assertThat(second.saverDef().getRestoreOpName()).isEqualTo("save_1/restore_all");
    }
  }

  @Test
  void badSettingsAreRejectedNamingTheValue() {
    try (Graph g = new Graph()) {
      assertThatThrownBy(() -> Saver.builder(g).maxToKeep(-1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected maxToKeep >= 0 (0 keeps every checkpoint), but got -1");
      assertThatThrownBy(() -> Saver.builder(g).keepCheckpointEveryNHours(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected keepCheckpointEveryNHours > 0, but got 0.0");
      assertThatThrownBy(() -> Saver.create(g))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("No variables to save: the graph has no variable");
      TestModels.scalar(g, "v", 1f);
      assertThatThrownBy(() -> Saver.builder(g).variableNames(List.of("nope")).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the graph has no operation named 'nope'");
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        assertThatThrownBy(() -> saver.save(s, tmp.resolve("checkpoint").toString()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("collides with the state file");
      }
    }
  }

  @Test
  void asyncSaveWritesSnapshotTakenAtSaveTime() {
    String prefix = tmp.resolve("async").toString();
    try (Graph g = new Graph()) {
      GraphOperation v = TestModels.scalar(g, "v", 1f);
      Ops tf = Ops.create(g);
      GraphOperation bump =
          g.opBuilder("AssignAdd", "bump", tf.scope()).addInput(v.output(0)).addInput(tf.constant(1f).asOutput()).build();
      try (NativeSession s = NativeSession.open(g);
          Saver saver = Saver.builder(g).asyncSave(true).maxToKeep(2).build()) {
        TestModels.initialize(s);
        for (long step = 1; step <= 4; step++) {
          assertThat(saver.save(s, prefix, step)).isEqualTo(prefix + "-" + step);
          s.runner().addTarget(bump).run().close();
        }
        saver.awaitPendingSave();
        assertThat(saver.lastCheckpoints()).containsExactly(prefix + "-3", prefix + "-4");
        assertThat(Checkpoints.latestCheckpoint(tmp)).contains(prefix + "-4");
        saver.close();
        assertThatThrownBy(() -> saver.save(s, prefix, 9))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("this saver is closed");
      }
      for (long step = 1; step <= 4; step++) {
        if (step <= 2) {
          assertThat(Checkpoints.checkpointExists(prefix + "-" + step)).isFalse();
          continue;
        }
        try (CheckpointReader r = CheckpointReader.open(prefix + "-" + step);
            var t = r.read("v")) {
          // the value when save() was called, although the step ran before the write finished
          assertThat(((TFloat32) t).getFloat()).isEqualTo(step);
        }
      }
    }
  }

  @Test
  void closeFinishesTheAsyncSaveInFlight() {
    String prefix = tmp.resolve("inflight").toString();
    try (Graph g = new Graph()) {
      try (TFloat32 big = TFloat32.tensorOf(TestModels.shape(1 << 20), org.tensorflow.ndarray.buffer.DataBuffers.of(new float[1 << 20]))) {
        TestModels.variable(g, "big", big);
      }
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        Saver saver = Saver.builder(g).asyncSave(true).build();
        saver.save(s, prefix, 1);
        saver.save(s, prefix, 2);
        saver.close();
        saver.close();
        assertThat(Checkpoints.latestCheckpoint(tmp)).contains(prefix + "-2");
        assertThat(Checkpoints.checkpointState(tmp).orElseThrow().allModelCheckpointPaths())
            .containsExactly(prefix + "-1", prefix + "-2");
      }
    }
  }

  @Test
  void preemptionSaverRejectsBadDeadlineAndUnregisters() {
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        assertThatThrownBy(() -> PreemptionSaver.register(saver, s, "p", () -> 0, java.time.Duration.ZERO))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("expected a positive deadline, but got PT0S");
        PreemptionSaver p = PreemptionSaver.register(saver, s, "p", () -> 0, java.time.Duration.ofSeconds(1));
        assertThat(p.shutdownRequested()).isFalse();
        assertThat(p.awaitFinalCheckpoint(java.time.Duration.ofMillis(1))).isFalse();
        p.close();
        p.close();
        assertThat(p.finalCheckpoint()).isEmpty();
        assertThatThrownBy(() -> saver.save(s, ""))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("expected a checkpoint prefix such as /train/model.ckpt, but got \"\"");
      }
    }
  }

  @Test
  void importMetaGraphRejectsNonMetaGraphFiles() throws IOException {
    Path notMeta = Files.writeString(tmp.resolve("x.meta"), "\u0000\u00ffgarbage");
    try (Graph g = new Graph()) {
      assertThatThrownBy(() -> MetaGraphs.importMetaGraph(g, notMeta))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(notMeta + " is not a MetaGraphDef: ");
      assertThatThrownBy(() -> MetaGraphs.importMetaGraph(g, tmp.resolve("missing.meta")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("MetaGraph file " + tmp.resolve("missing.meta") + " does not exist");
    }
  }

  @Test
  void restoredValuesComeFromTheCheckpointNotTheInitializers() {
    String prefix = tmp.resolve("r").toString();
    try (Graph g = new Graph()) {
      try (TFloat32 w = TFloat32.vectorOf(1f, 2f, 3f)) {
        TestModels.variable(g, "w", w);
      }
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        Saver.create(g).save(s, prefix, 1);
      }
    }
    try (Graph g = new Graph()) {
      try (TFloat32 w = TFloat32.vectorOf(0f, 0f, 0f)) {
        TestModels.variable(g, "w", w);
      }
      try (NativeSession s = NativeSession.open(g)) {
        Saver.create(g).restore(s, prefix + "-1");
        try (RunResult r = s.runner().fetch("w").run()) {
          assertThat(TestModels.floats(r.get(0))).containsExactly(1f, 2f, 3f);
        }
      }
    }
  }

  @Test
  void shardedSaveWithoutStepMayUseThePrefixCheckpoint() throws IOException {
    // issue 11 item 18: only an unsharded saver's prefix 'checkpoint' collides with the state file
    String prefix = tmp.resolve("checkpoint").toString();
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 3f);
      Saver sharded = Saver.builder(g).sharded(true).build();
      Saver plain = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        assertThat(sharded.save(s, prefix)).isEqualTo(prefix);
        assertThat(sharded.save(s, prefix)).isEqualTo(prefix);
        assertThat(tmp.resolve("checkpoint.index")).exists();
        assertThat(tmp.resolve("checkpoint.data-00000-of-00001")).exists();
        assertThat(Files.readAllLines(tmp.resolve("checkpoint")))
            .startsWith("model_checkpoint_path: \"checkpoint\"", "all_model_checkpoint_paths: \"checkpoint\"");
        assertThat(Checkpoints.latestCheckpoint(tmp)).contains(prefix);
        assertThatThrownBy(() -> plain.save(s, prefix))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("checkpoint prefix '" + prefix + "' collides with the state file 'checkpoint'; choose another name");
      }
    }
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", -1f);
      try (NativeSession s = NativeSession.open(g)) {
        Saver.builder(g).sharded(true).build().restore(s, Checkpoints.latestCheckpoint(tmp).orElseThrow());
        assertThat(TestModels.floatValue(s, "v")).isEqualTo(3f);
      }
    }
  }

  @Test
  void saverFromASaverDefTakesTheBuildersOptions() {
    // issue 11 item 22: recoverFromStateFile(false) for a saver over an imported SaverDef
    String prefix = tmp.resolve("model.ckpt").toString();
    SaverDef def;
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver first = Saver.builder(g).maxToKeep(2).build();
      def = first.saverDef();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        first.save(s, prefix, 1);
        first.save(s, prefix, 2);
      }
    }
    for (boolean recover : new boolean[] {true, false}) {
      try (Graph g = new Graph()) {
        TestModels.scalar(g, "v", 1f);
        Saver.create(g);
        Saver saver = Saver.builder(g).saverDef(def).recoverFromStateFile(recover).build();
        assertThat(saver.saverDef().getMaxToKeep()).isEqualTo(2);
        try (NativeSession s = NativeSession.open(g)) {
          TestModels.initialize(s);
          saver.save(s, prefix, recover ? 3 : 4);
          assertThat(saver.lastCheckpoints())
              .containsExactlyElementsOf(recover ? List.of(prefix + "-2", prefix + "-3") : List.of(prefix + "-4"));
        }
      }
    }
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver.create(g);
      assertThat(Saver.builder(g).saverDef(def).maxToKeep(7).build().saverDef().getMaxToKeep()).isEqualTo(7);
      assertThat(Saver.fromSaverDef(g, def).saverDef()).isEqualTo(def);
      assertThatThrownBy(() -> Saver.builder(g).saverDef(def).sharded(true).asyncSave(true).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("saverDef uses existing ops, so it cannot be combined with sharded, asyncSave");
    }
  }
}

package dev.tfmon.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.errors.DataLossException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/** Checkpoints and MetaGraphs written by Python TensorFlow ({@code shared/interop}, see PROVENANCE.md). */
class InteropTest {
  private static final Path INTEROP = TestModels.interop();
  @TempDir Path tmp;

  private static final float[] W30 = {1.01787841f, -1.9793644f, 2.95640254f, 0.495797843f};
  private static final float B30 = 0.251824766f;
  private static final double[] CONTINUED_LOSSES = {
    0.00168838259, 0.00128785009, 0.000982362311, 0.000749347091, 0.000571621058,
    0.000436057046, 0.000332648226, 0.000253763836, 0.000193590997, 0.000147686864
  };
  private static final float[] W40 = {1.00471294f, -1.99469292f, 2.9887898f, 0.498683602f};
  private static final float B40 = 0.250555396f;

  @Test
  void readerListsAndReadsLinearRefCheckpoints() {
    Object[][] expected = {
      {10, new float[] {1.16597342f, -1.64457464f, 2.32249594f, 0.457847595f}, 0.269353211f, 0x6edb47df},
      {20, new float[] {1.06439114f, -1.91785705f, 2.82982302f, 0.487529248f}, 0.256495535f, 0x5ce8abb8},
      {30, W30, B30, 0xaaecaed5},
    };
    List<Object[]> cases = new java.util.ArrayList<>(List.of(expected));
    cases.add(new Object[] {30, W30, B30, 0xaaecaed5, "linear-resource"});
    for (Object[] e : cases) {
      int step = (int) e[0];
      String folder = e.length > 4 ? (String) e[4] : "linear-ref";
      try (CheckpointReader r = CheckpointReader.open(INTEROP.resolve(folder + "/model.ckpt-" + step).toString())) {
        assertThat(r.numShards()).isEqualTo(1);
        Map<String, VariableInfo> vars = r.variables();
        assertThat(vars.keySet()).containsExactly("b", "global_step", "w");
        assertThat(vars.get("w"))
            .isEqualTo(new VariableInfo("w", DataType.DT_FLOAT, Shape.of(4, 1), 0, 12, 16, (int) e[3]));
        assertThat(vars.get("global_step").describe()).isEqualTo("int64 []");
        assertThat(vars.get("b").offset()).isEqualTo(0);
        try (Tensor w = r.read("w"); Tensor b = r.read("b"); Tensor gs = r.read("global_step")) {
          assertThat(w.shape()).isEqualTo(Shape.of(4, 1));
          assertThat(TestModels.floats(w)).containsExactly((float[]) e[1]);
          assertThat(TestModels.floats(b)).containsExactly((float) e[2]);
          assertThat(((TInt64) gs).getLong()).isEqualTo(step);
        }
        r.verify();
      }
    }
  }

  @Test
  void readerReadsEveryDtypeOfTheShardedCheckpoint() {
    try (CheckpointReader r = CheckpointReader.open(INTEROP.resolve("sharded/model.ckpt-100").toString())) {
      assertThat(r.numShards()).isEqualTo(2);
      assertThat(r.variables().keySet())
          .containsExactly(
              "cpu0/float32_matrix", "cpu0/float64_vector", "cpu1/bool_flags", "cpu1/int32_vector",
              "cpu1/string_labels", "global_step");
      assertThat(r.variables().get("cpu1/string_labels"))
          .isEqualTo(new VariableInfo("cpu1/string_labels", DataType.DT_STRING, Shape.of(3), 1, 19, 24, 0xf459675d));
      r.verify();
      try (TFloat32 m = (TFloat32) r.read("cpu0/float32_matrix");
          TFloat64 d = (TFloat64) r.read("cpu0/float64_vector");
          TBool flags = (TBool) r.read("cpu1/bool_flags");
          TInt32 ints = (TInt32) r.read("cpu1/int32_vector");
          TString labels = (TString) r.read("cpu1/string_labels");
          TInt64 step = (TInt64) r.read("global_step")) {
        assertThat(m.shape()).isEqualTo(Shape.of(2, 3));
        assertThat(TestModels.floats(m)).containsExactly(0.5f, -1.25f, 3f, 0.00100000005f, 65504f, -0f);
        assertThat(d.getDouble(0)).isEqualTo(3.1415926535897931);
        assertThat(d.getDouble(1)).isEqualTo(2.7182818284590451);
        assertThat(d.getDouble(2)).isEqualTo(-0.33333333333333331);
        assertThat(new boolean[] {flags.getBoolean(0), flags.getBoolean(1), flags.getBoolean(2)})
            .containsExactly(true, false, true);
        assertThat(new int[] {ints.getInt(0), ints.getInt(1), ints.getInt(2), ints.getInt(3)})
            .containsExactly(1, -2, 2147483647, -2147483648);
        assertThat(labels.asBytes().getObject(0)).isEqualTo("alpha".getBytes());
        assertThat(labels.asBytes().getObject(1)).isEmpty();
        assertThat(labels.getObject(2)).isEqualTo("\u03b2eta, UTF-8");
        assertThat(step.getLong()).isEqualTo(100);
      }
    }
  }

  @Test
  void saverRestoresShardedPythonCheckpointOfEveryDtypeIntoJavaBuiltGraph() {
    try (Graph g = new Graph()) {
      try (TFloat32 m = TFloat32.tensorOf(Shape.of(2, 3), org.tensorflow.ndarray.buffer.DataBuffers.of(new float[6]));
          TFloat64 d = TFloat64.vectorOf(0, 0, 0);
          TBool flags = TBool.vectorOf(false, false, false);
          TInt32 ints = TInt32.vectorOf(0, 0, 0, 0);
          TString labels = TString.vectorOf("", "", "");
          TInt64 gs = TInt64.scalarOf(0)) {
        TestModels.variable(g, "cpu0/float32_matrix", m);
        TestModels.variable(g, "cpu0/float64_vector", d);
        TestModels.variable(g, "cpu1/bool_flags", flags);
        TestModels.variable(g, "cpu1/int32_vector", ints);
        TestModels.variable(g, "cpu1/string_labels", labels);
        TestModels.variable(g, "global_step", gs);
      }
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        saver.restore(s, INTEROP.resolve("sharded/model.ckpt-100").toString());
        try (RunResult r =
            s.runner().fetch("cpu0/float32_matrix").fetch("cpu0/float64_vector").fetch("cpu1/bool_flags")
                .fetch("cpu1/int32_vector").fetch("cpu1/string_labels").fetch("global_step").run()) {
          assertThat(TestModels.floats(r.get(0))).containsExactly(0.5f, -1.25f, 3f, 0.00100000005f, 65504f, -0f);
          assertThat(((TFloat64) r.get(1)).getDouble(0)).isEqualTo(3.1415926535897931);
          assertThat(((TBool) r.get(2)).getBoolean(0)).isTrue();
          assertThat(((TBool) r.get(2)).getBoolean(1)).isFalse();
          assertThat(((TInt32) r.get(3)).getInt(3)).isEqualTo(-2147483648);
          assertThat(((TString) r.get(4)).getObject(0)).isEqualTo("alpha");
          assertThat(((TString) r.get(4)).getObject(2)).isEqualTo("\u03b2eta, UTF-8");
          assertThat(((TInt64) r.get(5)).getLong()).isEqualTo(100);
        }
        // and back: a Java save of all six dtypes reads back identically
        String saved = saver.save(s, tmp.resolve("all-dtypes").toString());
        try (CheckpointReader reader = CheckpointReader.open(saved);
            TString labels = (TString) reader.read("cpu1/string_labels")) {
          reader.verify();
          assertThat(labels.getObject(1)).isEmpty();
          assertThat(reader.variables().get("cpu1/bool_flags").describe()).isEqualTo("bool [3]");
        }
      }
    }
  }

  @Test
  void saverRestoresPythonCheckpointIntoJavaBuiltGraph() {
    for (String folder : List.of("linear-ref", "linear-resource")) {
      try (Graph g = new Graph()) {
        try (TFloat32 w = TFloat32.tensorOf(Shape.of(4, 1));
            TFloat32 b = TFloat32.tensorOf(Shape.of(1));
            TInt64 gs = TInt64.scalarOf(0)) {
          TestModels.variable(g, "w", w);
          TestModels.variable(g, "b", b);
          TestModels.variable(g, "global_step", gs);
        }
        Saver saver = Saver.create(g);
        try (NativeSession s = NativeSession.open(g)) {
          saver.restore(s, Checkpoints.latestCheckpoint(INTEROP.resolve(folder)).orElseThrow());
          try (RunResult r = s.runner().fetch("w").fetch("b").fetch("global_step").run()) {
            assertThat(TestModels.floats(r.get(0))).containsExactly(W30);
            assertThat(TestModels.floats(r.get(1))).containsExactly(B30);
            assertThat(((TInt64) r.get(2)).getLong()).isEqualTo(30);
          }
        }
      }
    }
  }

  @Test
  void importedPythonMetaGraphsContinueTrainingLikePython() throws IOException {
    for (String folder : List.of("linear-ref", "linear-resource")) {
      Path dir = INTEROP.resolve(folder);
      TFloat32[] data = TestModels.data(dir.resolve("data.csv"));
      // Python printed 9 digits; here losses agree to about 4e-6 relative (the Mean over 64 rows is
      // reduced in another order on another machine), while w and b agree to 2e-6 after 10 steps.
      String saved;
      try (TFloat32 x = data[0]; TFloat32 y = data[1]; Graph g = new Graph()) {
        ImportedMetaGraph m = MetaGraphs.importMetaGraph(g, dir.resolve("model.ckpt-30.meta"));
        assertThat(m.metaGraphDef().getSaverDef().getMaxToKeep()).isEqualTo(3);
        Saver saver = m.saver().orElseThrow();
        Operation train = m.trainOp().orElseThrow();
        assertThat(train.name()).isEqualTo("train_op");
        try (NativeSession s = NativeSession.open(g)) {
          saver.restore(s, dir.resolve("model.ckpt-30").toString());
          for (double expected : CONTINUED_LOSSES) {
            try (RunResult r = s.runner().feed("x", x).feed("y", y).fetch("loss").addTarget(train).run()) {
              double loss = ((TFloat32) r.get(0)).getFloat();
              assertThat(loss).as(folder).isCloseTo(expected, within(expected * 1e-5));
            }
          }
          saved = saver.save(s, tmp.resolve(folder + "/model.ckpt").toString(), 40);
        }
      }
      assertThat(Path.of(saved + ".meta")).exists();
      // the Java-written checkpoint and MetaGraph round-trip: import again, restore, compare
      try (Graph g = new Graph()) {
        ImportedMetaGraph m = MetaGraphs.importMetaGraph(g, Path.of(saved + ".meta"));
        assertThat(m.trainOp()).isPresent();
        try (NativeSession s = NativeSession.open(g)) {
          m.saver().orElseThrow().restore(s, Checkpoints.latestCheckpoint(tmp.resolve(folder)).orElseThrow());
        }
      }
      try (CheckpointReader r = CheckpointReader.open(saved); Tensor w = r.read("w"); Tensor b = r.read("b");
          Tensor gs = r.read("global_step")) {
        r.verify();
        float[] wv = TestModels.floats(w);
        for (int i = 0; i < 4; i++) {
          assertThat(wv[i]).isCloseTo(W40[i], within(2e-6f));
        }
        assertThat(TestModels.floats(b)[0]).isCloseTo(B40, within(2e-6f));
        assertThat(((TInt64) gs).getLong()).isEqualTo(40);
      }
    }
  }

  @Test
  void shardedMetaGraphRestoresWithTwoCpusOrClearedDevices() {
    Path dir = INTEROP.resolve("sharded");
    String ckpt = dir.resolve("model.ckpt-100").toString();
    ConfigProto twoCpus = ConfigProto.newBuilder().putDeviceCount("CPU", 2).build();
    for (boolean clear : new boolean[] {false, true}) {
      try (Graph g = new Graph()) {
        ImportedMetaGraph m = MetaGraphs.importMetaGraph(g, dir.resolve("model.ckpt-100.meta"), clear, "");
        assertThat(m.saver().orElseThrow().saverDef().getSharded()).isTrue();
        try (NativeSession s = NativeSession.open(g, "", clear ? null : twoCpus)) {
          m.saver().orElseThrow().restore(s, ckpt);
          try (RunResult r = s.runner().fetch("cpu1/string_labels").fetch("global_step").run()) {
            assertThat(((TString) r.get(0)).getObject(2)).isEqualTo("\u03b2eta, UTF-8");
            assertThat(((TInt64) r.get(1)).getLong()).isEqualTo(100);
          }
          // a sharded save from Java, then the reader checks every shard
          String saved = m.saver().orElseThrow().save(s, tmp.resolve("c" + clear + "/model.ckpt").toString(), 101);
          try (CheckpointReader reader = CheckpointReader.open(saved)) {
            reader.verify();
            assertThat(reader.numShards()).isEqualTo(2);
          }
        }
      }
    }
  }

  @Test
  void importWithScopePrefixesNames() {
    try (Graph g = new Graph()) {
      ImportedMetaGraph m =
          MetaGraphs.importMetaGraph(g, INTEROP.resolve("linear-ref/model.ckpt-30.meta"), false, "model");
      assertThat(m.trainOp().orElseThrow().name()).isEqualTo("model/train_op");
      assertThat(m.saver().orElseThrow().saverDef().getFilenameTensorName()).isEqualTo("model/save/Const:0");
      try (NativeSession s = NativeSession.open(g)) {
        m.saver().orElseThrow().restore(s, INTEROP.resolve("linear-ref/model.ckpt-20").toString());
        try (RunResult r = s.runner().fetch("model/global_step").run()) {
          assertThat(((TInt64) r.get(0)).getLong()).isEqualTo(20);
        }
      }
    }
  }

  // ---- the damaged copies of corrupt/ -----------------------------------------------------

  private static String corrupt(String folder) {
    return INTEROP.resolve("corrupt").resolve(folder).resolve("model.ckpt-30").toString();
  }

  @Test
  void truncatedDataIsOutOfRangeNamingTheFile() {
    String prefix = corrupt("truncated-data");
    try (CheckpointReader r = CheckpointReader.open(prefix)) {
      try (Tensor b = r.read("b")) {
        assertThat(TestModels.floats(b)).containsExactly(B30);
      }
      assertThatThrownBy(() -> r.read("w"))
          .isInstanceOf(OutOfRangeException.class)
          .hasMessageContaining("reading 'w' from " + prefix + ".data-00000-of-00001: read less bytes than requested");
      assertThatThrownBy(r::verify)
          .isInstanceOf(OutOfRangeException.class)
          .hasMessage(
              "OUT_OF_RANGE: data file " + prefix + ".data-00000-of-00001 has 14 bytes, but its index needs 28:"
                  + " the file is truncated");
    }
    // TensorFlow's own restore gives the same code, and the message names the checkpoint
    assertThatThrownBy(() -> restoreLinear(prefix))
        .isInstanceOf(OutOfRangeException.class)
        .hasMessageContaining("Restoring from checkpoint " + prefix + " failed")
        .hasMessageContaining("Read less bytes than requested");
  }

  @Test
  void flippedIndexByteIsDataLossNamingTheFile() {
    String prefix = corrupt("flipped-index");
    assertThatThrownBy(() -> CheckpointReader.open(prefix))
        .isInstanceOf(DataLossException.class)
        .hasMessageStartingWith("DATA_LOSS: checkpoint index " + prefix + ".index is corrupt: data block at offset 0: block checksum mismatch (stored 0xccbf7fbf, computed 0x1ff0a1c5)");
    assertThatThrownBy(() -> restoreLinear(prefix)).isInstanceOf(DataLossException.class)
        .hasMessageContaining(prefix + ".index");
  }

  @Test
  void flippedDataByteIsDataLossNamingVariableAndFile() {
    String prefix = corrupt("flipped-data");
    try (CheckpointReader r = CheckpointReader.open(prefix)) {
      try (Tensor gs = r.read("global_step")) {
        assertThat(((TInt64) gs).getLong()).isEqualTo(30);
      }
      assertThatThrownBy(() -> r.read("w"))
          .isInstanceOf(DataLossException.class)
          .hasMessage(
              "DATA_LOSS: checksum mismatch for variable 'w' in " + prefix
                  + ".data-00000-of-00001 (16 bytes at offset 12): stored 0xaaecaed5, computed 0x0ba6e8af");
    }
    assertThatThrownBy(() -> restoreLinear(prefix))
        .isInstanceOf(DataLossException.class)
        .hasMessageContaining("Checksum does not match");
  }

  @Test
  void missingDataIsNotFoundNamingTheFile() {
    String prefix = corrupt("missing-data");
    try (CheckpointReader r = CheckpointReader.open(prefix)) {
      assertThatThrownBy(() -> r.read("b"))
          .isInstanceOf(NotFoundException.class)
          .hasMessage("NOT_FOUND: data file " + prefix + ".data-00000-of-00001 of checkpoint " + prefix + " is missing");
    }
    assertThatThrownBy(() -> restoreLinear(prefix))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(prefix + ".data-00000-of-00001");
  }

  @Test
  void garbageStateFileStillFindsTheCheckpoint() {
    Path dir = INTEROP.resolve("corrupt/garbage-state");
    // like Python, latestCheckpoint cannot use the file ...
    assertThat(Checkpoints.latestCheckpoint(dir)).isEmpty();
    assertThat(Checkpoints.checkpointState(dir)).isEmpty();
    // ... but the integrity fallback lists the directory instead of starting from scratch
    assertThat(Checkpoints.newestRestorable(dir)).contains(corrupt("garbage-state"));
  }

  @Test
  void newestRestorableRejectsEveryDamagedCopy() {
    for (String folder : List.of("truncated-data", "flipped-index", "flipped-data", "missing-data")) {
      Path dir = INTEROP.resolve("corrupt").resolve(folder);
      assertThatThrownBy(() -> Checkpoints.newestRestorable(dir))
          .as(folder)
          .isInstanceOf(DataLossException.class)
          .hasMessageStartingWith("DATA_LOSS: no checkpoint in " + dir + " can be restored: " + corrupt(folder) + " (");
    }
    assertThat(Checkpoints.newestRestorable(INTEROP.resolve("linear-ref")))
        .contains(INTEROP.resolve("linear-ref/model.ckpt-30").toString());
    assertThat(Checkpoints.newestRestorable(tmp)).isEmpty();
  }

  @Test
  void newestRestorableFallsBackToOlderGoodCheckpoint() throws IOException {
    Path dir = tmp.resolve("ckpts");
    Files.createDirectories(dir);
    for (String f : List.of("checkpoint", "model.ckpt-10.index", "model.ckpt-10.data-00000-of-00001",
        "model.ckpt-20.index", "model.ckpt-20.data-00000-of-00001", "model.ckpt-30.index")) {
      Files.copy(INTEROP.resolve("linear-ref").resolve(f), dir.resolve(f));
    }
    // step 30's data is truncated, step 20's has a flipped byte: step 10 is the newest good one
    byte[] data30 = Files.readAllBytes(INTEROP.resolve("linear-ref/model.ckpt-30.data-00000-of-00001"));
    Files.write(dir.resolve("model.ckpt-30.data-00000-of-00001"), java.util.Arrays.copyOf(data30, 20));
    Path data20 = dir.resolve("model.ckpt-20.data-00000-of-00001");
    byte[] bytes = Files.readAllBytes(data20);
    bytes[3] ^= (byte) 0xff;
    Files.write(data20, bytes);
    assertThat(Checkpoints.latestCheckpoint(dir)).contains(dir.resolve("model.ckpt-30").toString());
    assertThat(Checkpoints.newestRestorable(dir)).contains(dir.resolve("model.ckpt-10").toString());
  }

  private static void restoreLinear(String prefix) {
    try (Graph g = new Graph()) {
      ImportedMetaGraph m = MetaGraphs.importMetaGraph(g, INTEROP.resolve("linear-ref/model.ckpt-30.meta"));
      try (NativeSession s = NativeSession.open(g)) {
        m.saver().orElseThrow().restore(s, prefix);
      }
    }
  }
}

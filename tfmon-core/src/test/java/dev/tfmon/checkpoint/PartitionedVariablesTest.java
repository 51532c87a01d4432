package dev.tfmon.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.errors.DataLossException;
import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Partitioned (sliced) variables, issue 11 item 8: bundles written by TensorFlow's own SaveV2 with
 * {@code shape_and_slices} from Java, and by Python's {@code fixed_size_partitioner}
 * ({@code src/test/resources/fixtures/partitioned}, see its PROVENANCE.md).
 */
class PartitionedVariablesTest {
  private static final Path PARTITIONED = TestModels.fixtures().resolve("partitioned");
  @TempDir Path tmp;

  /** One tensor given to SaveV2: its key, its shape-and-slice spec ("" for whole), its value. */
  private record Piece(String key, String spec, Tensor value) {}

  /** Writes the pieces with a SaveV2 op run by TensorFlow, and closes their tensors. */
  private static String saveV2(Path prefix, List<Piece> pieces) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      List<Output<?>> values = new ArrayList<>();
      for (Piece p : pieces) {
        values.add(g.opBuilder("Const", "value_" + values.size(), tf.scope())
            .setAttr("dtype", p.value().dataType()).setAttr("value", p.value()).build().output(0));
      }
      String[] keys = pieces.stream().map(Piece::key).toArray(String[]::new);
      String[] specs = pieces.stream().map(Piece::spec).toArray(String[]::new);
      GraphOperation save = g.opBuilder("SaveV2", "save", tf.scope())
          .addInput(tf.constant(prefix.toString()).asOutput())
          .addInput(tf.constant(NdArrays.vectorOfObjects(keys)).asOutput())
          .addInput(tf.constant(NdArrays.vectorOfObjects(specs)).asOutput())
          .addInputList(values.toArray(new Output<?>[0]))
          .build();
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(save).run().close();
      }
    } finally {
      pieces.forEach(p -> p.value().close());
    }
    return prefix.toString();
  }

  private static TFloat32 floats(Shape shape, float... values) {
    return TFloat32.tensorOf(shape, DataBuffers.of(values));
  }

  /** Row-major values of an r x c matrix whose element (i, j) is {@code 10 i + j}, rows [from, to). */
  private static float[] rows(int from, int to, int columns) {
    float[] out = new float[(to - from) * columns];
    for (int i = from; i < to; i++) {
      for (int j = 0; j < columns; j++) {
        out[(i - from) * columns + j] = 10 * i + j;
      }
    }
    return out;
  }

  /** Columns [from, to) of the 4 x 6 matrix whose element (i, j) is {@code 10 i + j}. */
  private static float[] columns(int from, int to) {
    float[] out = new float[4 * (to - from)];
    for (int i = 0; i < 4; i++) {
      for (int j = from; j < to; j++) {
        out[i * (to - from) + (j - from)] = 10 * i + j;
      }
    }
    return out;
  }

  /** w [6, 2] in uneven row slices, grid [4, 6] in column slices, names [3] (strings) in two. */
  private String javaFixture() {
    return saveV2(tmp.resolve("sliced"), List.of(
        new Piece("w", "6 2 0,2:-", floats(Shape.of(2, 2), rows(0, 2, 2))),
        new Piece("w", "6 2 2,3:-", floats(Shape.of(3, 2), rows(2, 5, 2))),
        new Piece("w", "6 2 5,1:-", floats(Shape.of(1, 2), rows(5, 6, 2))),
        new Piece("grid", "4 6 -:0,3", floats(Shape.of(4, 3), columns(0, 3))),
        new Piece("grid", "4 6 -:3,3", floats(Shape.of(4, 3), columns(3, 6))),
        new Piece("names", "3 0,2", TString.vectorOf("alpha", "b\u0000\u00e9")),
        new Piece("names", "3 2,1", TString.vectorOf("gamma")),
        new Piece("step", "", TInt64.scalarOf(42))));
  }

  @Test
  void readerListsASlicedVariableOnceWithItsFullShapeAndReadsItWhole() {
    // issue 11 item 8
    String prefix = javaFixture();
    try (CheckpointReader r = CheckpointReader.open(prefix)) {
      assertThat(r.variables().keySet()).containsExactly("grid", "names", "step", "w");
      VariableInfo w = r.variables().get("w");
      assertThat(w.describe()).isEqualTo("float32 [6, 2]");
      assertThat(w.sliced()).isTrue();
      assertThat(w.slices()).extracting(TensorSlice::toString).containsExactly("0,2:-", "2,3:-", "5,1:-");
      assertThat(w.size()).isEqualTo(6 * 2 * 4);
      assertThat(r.variables().get("step").sliced()).isFalse();
      r.verify();
      try (Tensor whole = r.read("w"); Tensor grid = r.read("grid"); TString names = (TString) r.read("names")) {
        assertThat(whole.shape()).isEqualTo(Shape.of(6, 2));
        assertThat(TestModels.floats(whole)).containsExactly(rows(0, 6, 2));
        assertThat(grid.shape()).isEqualTo(Shape.of(4, 6));
        assertThat(TestModels.floats(grid)).containsExactly(columns(0, 6));
        assertThat(names.getObject(0)).isEqualTo("alpha");
        assertThat(names.getObject(1)).isEqualTo("b\u0000\u00e9");
        assertThat(names.getObject(2)).isEqualTo("gamma");
      }
      // one stored slice, and a box across slices
      try (Tensor part = r.readSlice("w", TensorSlice.parse("2,3:-"));
          Tensor box = r.readSlice("grid", TensorSlice.parse("1,2:2,3"))) {
        assertThat(part.shape()).isEqualTo(Shape.of(3, 2));
        assertThat(TestModels.floats(part)).containsExactly(rows(2, 5, 2));
        assertThat(TestModels.floats(box)).containsExactly(12f, 13f, 14f, 22f, 23f, 24f);
      }
      assertThatThrownBy(() -> r.readSlice("w", TensorSlice.parse("5,2:-")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("slice 5,2:- does not fit tensor 'w' of shape [6, 2]");
    }
  }

  @Test
  void tensorflowsOwnRestoreAssemblesTheSameValues() {
    // issue 11 item 8: cross-check the Java assembly with RestoreV2 reading the full tensor and a box
    String prefix = javaFixture();
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      GraphOperation restore = g.opBuilder("RestoreV2", "restore", tf.scope())
          .addInput(tf.constant(prefix).asOutput())
          .addInput(tf.constant(NdArrays.vectorOfObjects(new String[] {"w", "grid"})).asOutput())
          .addInput(tf.constant(NdArrays.vectorOfObjects(new String[] {"", "4 6 1,2:2,3"})).asOutput())
          .setAttr("dtypes", new DataType[] {DataType.DT_FLOAT, DataType.DT_FLOAT})
          .build();
      try (NativeSession s = NativeSession.open(g);
          RunResult r = s.runner().fetch(restore.output(0)).fetch(restore.output(1)).run();
          CheckpointReader reader = CheckpointReader.open(prefix);
          Tensor w = reader.read("w");
          Tensor box = reader.readSlice("grid", TensorSlice.parse("1,2:2,3"))) {
        assertThat(TestModels.floats(r.get(0))).containsExactly(TestModels.floats(w));
        assertThat(TestModels.floats(r.get(1))).containsExactly(TestModels.floats(box));
      }
    }
  }

  @Test
  void slicesThatDoNotCoverTheTensorAreNamedOnRead() {
    // issue 11 item 8: a bundle holding rows 0..3 of a [6, 1] tensor only
    String prefix = saveV2(tmp.resolve("partial"), List.of(
        new Piece("w", "6 1 0,2:-", floats(Shape.of(2, 1), 1f, 2f)),
        new Piece("w", "6 1 2,2:-", floats(Shape.of(2, 1), 3f, 4f))));
    try (CheckpointReader r = CheckpointReader.open(prefix)) {
      r.verify();
      assertThat(r.covers("w", TensorSlice.parse("0,4:-"))).isTrue();
      assertThat(r.covers("w", TensorSlice.parse("3,2:-"))).isFalse();
      assertThatThrownBy(() -> r.read("w"))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessage("INVALID_ARGUMENT: the stored slices of 'w' in " + prefix + " ([0,2:-, 2,2:-]) cover 4 of the 6"
              + " elements of slice -:-");
      try (Tensor top = r.readSlice("w", TensorSlice.parse("1,3:-"))) {
        assertThat(TestModels.floats(top)).containsExactly(2f, 3f, 4f);
      }
    }
  }

  @Test
  void aDamagedSliceIsDataLossNamingTheSlice() throws IOException {
    // issue 11 item 8: verify() checks every slice's CRC32C
    String prefix = javaFixture();
    Path data = Path.of(prefix + ".data-00000-of-00001");
    byte[] bytes = Files.readAllBytes(data);
    // SaveV2 writes its inputs in order: the first bytes are w's first slice
    bytes[0] ^= (byte) 0xff;
    Files.write(data, bytes);
    try (CheckpointReader r = CheckpointReader.open(prefix)) {
      assertThatThrownBy(r::verify)
          .isInstanceOf(DataLossException.class)
          .hasMessage("DATA_LOSS: checksum mismatch for variable 'w[0,2:-]' in " + data
              + " (16 bytes at offset 0): stored 0x6fa62ded, computed 0xd9594779");
      try (Tensor intact = r.readSlice("w", TensorSlice.parse("2,4:-"))) {
        assertThat(TestModels.floats(intact)).containsExactly(rows(2, 6, 2));
      }
    }
  }

  private static final float[] W10 = {1.03483343f, -1.58490586f, 2.59738684f, 0.655608118f, -0.473710537f, 1.94639587f};
  private static final float[] W20 = {1.06001711f, -1.83932233f, 2.91126633f, 0.642374337f, -0.743453622f, 2.00850749f};
  private static final double[] CONTINUED_LOSSES = {
    0.0454494953, 0.0390050299, 0.0335679464, 0.0289533436, 0.0250178371,
    0.0216484684, 0.0187546909, 0.0162630267, 0.0141132018, 0.0122551797
  };

  @Test
  void pythonFixedSizePartitionerCheckpointIsListedAndReadLikePython() {
    // issue 11 item 8: values from fixtures/partitioned/PROVENANCE.md
    for (int step : new int[] {10, 20}) {
      try (CheckpointReader r = CheckpointReader.open(PARTITIONED.resolve("model.ckpt-" + step).toString())) {
        assertThat(r.variables().keySet()).containsExactly("b", "global_step", "table", "vocab", "w");
        assertThat(r.variables().get("w").describe()).isEqualTo("float32 [6, 1]");
        assertThat(r.variables().get("w").slices()).extracting(TensorSlice::toString)
            .containsExactly("0,2:0,1", "2,2:0,1", "4,2:0,1");
        assertThat(r.variables().get("table").slices()).extracting(TensorSlice::toString)
            .containsExactly("0,2:0,3", "2,2:0,3", "4,1:0,3");
        r.verify();
        try (Tensor w = r.read("w"); Tensor table = r.read("table"); TString vocab = (TString) r.read("vocab");
            Tensor gs = r.read("global_step"); Tensor middle = r.readSlice("table", TensorSlice.parse("2,2:0,3"))) {
          assertThat(TestModels.floats(w)).containsExactly(step == 10 ? W10 : W20);
          assertThat(TestModels.floats(table))
              .containsExactly(-1f, -0.5f, 0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f, 4f, 4.5f, 5f, 5.5f, 6f);
          assertThat(TestModels.floats(middle)).containsExactly(2f, 2.5f, 3f, 3.5f, 4f, 4.5f);
          assertThat(vocab.asBytes().getObject(1)).isEqualTo("tab\t\"quoted\"\n".getBytes());
          assertThat(vocab.asBytes().getObject(2)).isEqualTo(new byte[] {0, 1, (byte) 0xfe, (byte) 0xff, ' ', 'r', 'a', 'w'});
          assertThat(((TInt64) gs).getLong()).isEqualTo(step);
        }
      }
    }
  }

  @Test
  void pythonPartitionedModelResumesAndTrainsLikePython() {
    // issue 11 item 8: the check compares slice specs, the restore assembles the parts
    String prefix = PARTITIONED.resolve("model.ckpt-20").toString();
    TFloat32[] data = TestModels.data(PARTITIONED.resolve("data.csv"));
    try (TFloat32 x = data[0]; TFloat32 y = data[1]; Graph g = new Graph()) {
      ImportedMetaGraph m = MetaGraphs.importMetaGraph(g, PARTITIONED.resolve("model.ckpt-20.meta"));
      assertThat(Checkpoints.mismatches(g, prefix)).isEmpty();
      Operation train = m.trainOp().orElseThrow();
      try (NativeSession s = NativeSession.open(g)) {
        m.saver().orElseThrow().restore(s, prefix);
        try (RunResult r = s.runner().fetch("w/part_1").fetch("table/part_2").run()) {
          assertThat(TestModels.floats(r.get(0))).containsExactly(W20[2], W20[3]);
          assertThat(TestModels.floats(r.get(1))).containsExactly(5f, 5.5f, 6f);
        }
        for (double expected : CONTINUED_LOSSES) {
          try (RunResult r = s.runner().feed("x", x).feed("y", y).fetch("loss").addTarget(train).run()) {
            assertThat((double) ((TFloat32) r.get(0)).getFloat()).isCloseTo(expected, within(expected * 1e-5));
          }
        }
      }
    }
  }

  @Test
  void compatibilityCheckComparesSliceSpecs() {
    // issue 11 item 8: a graph that restores w as [8, 1] in two slices does not fit the [6, 1]
    // checkpoint; one that restores it as [6, 1] in two other slices does (the stored three cover them)
    String prefix = PARTITIONED.resolve("model.ckpt-20").toString();
    for (int rows : new int[] {6, 8}) {
      try (Graph g = new Graph()) {
        Ops tf = Ops.create(g);
        int half = rows / 2;
        GraphOperation top = variable(g, "w/part_0", Shape.of(half, 1));
        GraphOperation bottom = variable(g, "w/part_1", Shape.of(rows - half, 1));
        GraphOperation restore = g.opBuilder("RestoreV2", "save/RestoreV2", tf.scope())
            .addInput(tf.constant("unused").asOutput())
            .addInput(tf.constant(NdArrays.vectorOfObjects(new String[] {"w", "w"})).asOutput())
            .addInput(tf.constant(NdArrays.vectorOfObjects(new String[] {rows + " 1 0," + half + ":0,1", rows + " 1 " + half + "," + (rows - half) + ":0,1"})).asOutput())
            .setAttr("dtypes", new DataType[] {DataType.DT_FLOAT, DataType.DT_FLOAT})
            .build();
        g.opBuilder("Assign", "save/Assign", tf.scope()).addInput(top.output(0)).addInput(restore.output(0)).build();
        g.opBuilder("Assign", "save/Assign_1", tf.scope()).addInput(bottom.output(0)).addInput(restore.output(1)).build();
        List<RestoreMismatch> found = Checkpoints.mismatches(g, prefix);
        if (rows == 6) {
          assertThat(found).isEmpty();
          continue;
        }
        assertThat(found).extracting(RestoreMismatch::describe).containsExactly(
            "variable 'w': the graph expects float32 [8, 1] slice 0,4:0,1, the checkpoint has float32 [6, 1] in slices"
                + " 0,2:0,1; 2,2:0,1; 4,2:0,1",
            "variable 'w': the graph expects float32 [8, 1] slice 4,4:0,1, the checkpoint has float32 [6, 1] in slices"
                + " 0,2:0,1; 2,2:0,1; 4,2:0,1");
        assertThat(found.get(0).variable()).isEqualTo("w/part_0");
        assertThat(found.get(1).slice()).isEqualTo("4,4:0,1");
      }
    }
  }

  private static GraphOperation variable(Graph g, String name, Shape shape) {
    return g.opBuilder("VariableV2", name, Ops.create(g).scope())
        .setAttr("dtype", DataType.DT_FLOAT).setAttr("shape", shape).build();
  }
}

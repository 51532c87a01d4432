package dev.tfmon.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.DataLossException;
import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.runtime.NativeSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * The restore compatibility check as its own public operation (issue 15 item 4) and the restore
 * path that runs TensorFlow's RestoreV2 first (issue 16).
 */
class RestoreCheckTest {
  @TempDir Path tmp;

  /** A resource variable {@code name} of float32 {@code shape}, initialized with zeros. */
  private static void resourceVariable(Graph g, String name, long... shape) {
    Ops tf = Ops.create(g);
    GraphOperation handle = g.opBuilder("VarHandleOp", name, tf.scope())
        .setAttr("dtype", DataType.DT_FLOAT).setAttr("shape", Shape.of(shape)).setAttr("shared_name", name).build();
    g.opBuilder("AssignVariableOp", name + "/Assign", tf.scope())
        .addInput(handle.output(0))
        .addInput(tf.zeros(tf.constant(shape), TFloat32.class).asOutput())
        .setAttr("dtype", DataType.DT_FLOAT)
        .build();
  }

  @Test
  void aResourceVariableOfAnotherShapeIsRefusedAfterTheRestore() {
    // issue 16: RestoreV2 runs first, but a resource variable takes a value of any shape, so for
    // such savers the check still runs (once per checkpoint version)
    String prefix = tmp.resolve("r").toString();
    try (Graph g = new Graph()) {
      resourceVariable(g, "r", 2);
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget("r/Assign").run().close();
        Saver.create(g).save(s, prefix);
      }
    }
    for (long size : new long[] {2, 3}) {
      try (Graph g = new Graph()) {
        resourceVariable(g, "r", size);
        Saver saver = Saver.create(g);
        try (NativeSession s = NativeSession.open(g)) {
          if (size == 2) {
            saver.restore(s, prefix);
            saver.restore(s, prefix);
            continue;
          }
          assertThatThrownBy(() -> saver.restore(s, prefix))
              .isInstanceOf(InvalidArgumentException.class)
              .hasMessage("INVALID_ARGUMENT: Restoring from checkpoint " + prefix + " failed, the graph does not match"
                  + " it: variable 'r': the graph expects float32 [3], the checkpoint has float32 [2]");
        }
      }
    }
  }

  @Test
  void mismatchesNameVariablesInTheOrderTheGraphCreatedThem() {
    // issue 15 item 4: Checkpoints.mismatches is the one check, used by the CLI's model-dir check
    String prefix = tmp.resolve("m").toString();
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "z", 1f);
      TestModels.scalar(g, "a", 2f);
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        Saver.create(g).save(s, prefix);
      }
      assertThat(Checkpoints.mismatches(g, prefix)).isEmpty();
    }
    for (boolean withSaver : new boolean[] {false, true}) {
      try (Graph g = new Graph()) {
        try (TFloat32 z = TFloat32.vectorOf(1f, 2f); TFloat32 a = TFloat32.vectorOf(3f)) {
          TestModels.variable(g, "z", z);
          TestModels.variable(g, "a", a);
        }
        TestModels.scalar(g, "new_one", 0f);
        if (withSaver) {
          Saver.create(g);
        }
        assertThat(Checkpoints.mismatches(g, prefix)).as("with a saver: %s", withSaver)
            .extracting(RestoreMismatch::describe)
            .containsExactly(
                "variable 'z': the graph expects float32 [2], the checkpoint has float32 []",
                "variable 'a': the graph expects float32 [1], the checkpoint has float32 []",
                "variable 'new_one' (float32 []) is missing from the checkpoint");
      }
    }
  }

  @Test
  void newestRestorableVerifiesEachVersionOfACheckpointOnce() throws IOException {
    // issue 15 item 4: the CLI's start-up check and the session's restore both ask for the newest
    // restorable checkpoint; its bytes are CRC-checked the first time only, until a file changes
    Path dir = tmp.resolve("dir");
    String prefix = dir.resolve("model.ckpt").toString();
    try (Graph g = new Graph()) {
      try (TFloat32 w = TFloat32.vectorOf(1f, 2f, 3f, 4f)) {
        TestModels.variable(g, "w", w);
      }
      Saver saver = Saver.create(g);
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        saver.save(s, prefix, 1);
        saver.save(s, prefix, 2);
      }
    }
    assertThat(Checkpoints.newestRestorable(dir)).contains(prefix + "-2");
    Path data = Path.of(prefix + "-2.data-00000-of-00001");
    FileTime written = Files.getLastModifiedTime(data);
    byte[] bytes = Files.readAllBytes(data);
    bytes[5] ^= (byte) 0xff;
    Files.write(data, bytes);
    Files.setLastModifiedTime(data, written);
    // same name, size, time and inode: taken as verified (TensorFlow's restore still checks CRCs)
    assertThat(Checkpoints.newestRestorable(dir)).contains(prefix + "-2");
    // a rewritten file is verified again: the damage is found and the older checkpoint is used
    Files.setLastModifiedTime(data, FileTime.fromMillis(written.toMillis() + 1000));
    assertThat(Checkpoints.newestRestorable(dir)).contains(prefix + "-1");
    try (CheckpointReader r = CheckpointReader.open(prefix + "-2")) {
      assertThatThrownBy(r::verify).isInstanceOf(DataLossException.class);
    }
  }
}

package dev.tfmon.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.checkpoint.MetaGraphs;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.testing.UnwritableDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Issue 13, bad input: a signature naming a missing tensor, an export directory that exists and is
 * not empty, a base directory that cannot be written, a checkpoint of another graph, and an export
 * that computes something else than the session. Each fails with one line naming the value and
 * leaves nothing behind.
 */
class ExportBadInputTest {
  @TempDir Path tmp;

  @Test
  void signatureNamingAMissingTensorFailsAtBuild() {
    try (Graph g = new Graph()) {
      ExportModel.build(g);
      assertThatThrownBy(() -> SavedModelExporter.builder(g)
              .signature(ExportSignature.builder().input("x", "serving/x").output("y", "serving/why:0").build())
              .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("signature 'serving_default' output 'y' names tensor 'serving/why:0', but the graph has no "
              + "operation named 'serving/why'");
      assertThatThrownBy(() -> SavedModelExporter.builder(g).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("no signature to export");
    }
  }

  @Test
  void exportDirectoryThatExistsAndIsNotEmptyIsNeverReplaced() throws IOException {
    Path base = tmp.resolve("exports");
    Path taken = Files.createDirectories(base.resolve("30"));
    Files.writeString(taken.resolve("mine.txt"), "a user's file");
    try (Graph g = new Graph()) {
      ImportedMetaGraph lr = linearRef(g);
      SavedModelExporter exporter = linearExporter(g);
      assertThatThrownBy(() -> exporter.exportCheckpoint(checkpoint(), lr.saver().orElseThrow(), ExportDirectory.of(base)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("export directory " + taken + " already exists and is not empty; an export never replaces "
              + "another (remove it, or export at another global step)");
    }
    assertThat(ExportFixtures.listing(base)).containsExactly("30");
    assertThat(ExportFixtures.listing(taken)).containsExactly("mine.txt");
  }

  @Test
  void baseDirectoryThatCannotBeWrittenFailsNamingIt() {
    try (UnwritableDirectory unwritable = UnwritableDirectory.create(tmp); Graph g = new Graph()) {
      Path base = unwritable.path();
      List<String> before = unwritable.entries();
      ImportedMetaGraph lr = linearRef(g);
      SavedModelExporter exporter = linearExporter(g);
      assertThatThrownBy(() -> exporter.exportCheckpoint(checkpoint(), lr.saver().orElseThrow(), ExportDirectory.of(base)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("cannot write into export base directory " + base + ": ");
      assertThat(unwritable.entries()).isEqualTo(before);
    }
  }

  @Test
  void checkpointOfAnotherGraphNamesTheMissingVariables() throws IOException {
    Path base = tmp.resolve("exports");
    try (Graph g = new Graph()) {
      ExportModel m = ExportModel.build(g);
      Saver saver = Saver.builder(g).build();
      SavedModelExporter exporter = SavedModelExporter.builder(g).signature(m.signature()).build();
      assertThatThrownBy(() -> exporter.exportCheckpoint(checkpoint(), saver, ExportDirectory.of(base)))
          .isInstanceOf(NotFoundException.class)
          .hasMessageContaining("hidden_kernel")
          .hasMessageContaining("out_bias");
    }
    assertThat(Files.exists(base)).isFalse();
  }

  @Test
  void exportThatComputesSomethingElseIsRefusedAndDeleted() throws IOException {
    Path base = tmp.resolve("exports");
    try (Graph g = new Graph(); NativeSession session = NativeSession.open(g)) {
      GlobalStep.getOrCreate(g);
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2)));
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(new float[] {1f, 2f}));
      // An unseeded random op: the export, run again, cannot give the session's numbers.
      var noise = tf.random.randomUniform(tf.shape(x), TFloat32.class);
      var y = tf.withName("noisy").math.add(tf.math.mul(x, w), noise);
      session.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
      SavedModelExporter exporter = SavedModelExporter.builder(g)
          .signature(ExportSignature.builder().input("x", x).output("noisy", y).build())
          .build();
      assertThatThrownBy(() -> exporter.export(session, ExportDirectory.of(base)))
          .isInstanceOfSatisfying(ExportVerificationException.class, e -> {
            assertThat(e.signature()).isEqualTo("serving_default");
            assertThat(e.output()).isEqualTo("noisy");
            assertThat(e.difference()).isGreaterThan(1e-6);
          })
          .hasMessageStartingWith("export refused: signature 'serving_default' output 'noisy' of the written SavedModel "
              + "differs from the training session on zeros float32 [1, 2]: value ");
    }
    assertThat(ExportFixtures.listing(base)).isEmpty();
  }

  @Test
  void inputFedIntoAMultiOutputOpIsRefusedBeforeWriting() {
    try (Graph g = new Graph(); NativeSession session = NativeSession.open(g)) {
      ExportModel m = ExportModel.build(g);
      SavedModelExporter exporter = SavedModelExporter.builder(g)
          .signature(ExportSignature.builder().input("x", "input/IteratorGetNext:0").output("y", "serving/y").build())
          .build();
      assertThatThrownBy(() -> exporter.export(session, ExportDirectory.of(tmp.resolve("exports")), 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("signature 'serving_default' input 'x' is tensor 'input/IteratorGetNext:0' of IteratorGetNext op "
              + "'input/IteratorGetNext', which has 2 outputs; feed a placeholder or a single-output op");
      assertThat(m).isNotNull();
    }
    assertThat(Files.exists(tmp.resolve("exports"))).isFalse();
  }

  static ImportedMetaGraph linearRef(Graph g) {
    return MetaGraphs.importMetaGraph(g, ExportFixtures.interop("linear-ref").resolve("model.ckpt-30.meta"));
  }

  static String checkpoint() {
    return ExportFixtures.interop("linear-ref").resolve("model.ckpt-30").toString();
  }

  static SavedModelExporter linearExporter(Graph g) {
    return SavedModelExporter.builder(g)
        .signature(ExportSignature.builder().input("x", "x").output("pred", "pred").build())
        .build();
  }
}

package dev.tfmon.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.VariableDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

class GraphHelpersTest {

  @Test
  void globalStepIsAnInt64ScalarNamedGlobalStepInItsCollections() {
    try (Graph g = new Graph()) {
      GraphVariable step = GlobalStep.getOrCreate(g);
      assertThat(step.name()).isEqualTo("global_step");
      assertThat(step.variable().dataType().getNumber()).isEqualTo(109); // DT_INT64_REF
      assertThat(step.trainable()).isFalse();
      assertThat(GlobalStep.getOrCreate(g)).isEqualTo(step);
      assertThat(GraphCollections.of(g).variables(CollectionKeys.GLOBAL_STEP)).containsExactly(step);
      assertThat(GraphCollections.of(g).variables(CollectionKeys.GLOBAL_VARIABLES))
          .containsExactly(step);
      assertThatThrownBy(() -> GlobalStep.create(g))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"global_step\" already exists");

      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(step.initializer()).run().close();
        assertThat(GlobalStep.value(s)).isZero();
        s.runner().addTarget(GlobalStep.increment(g, 5)).run().close();
        assertThat(GlobalStep.value(s)).isEqualTo(5);
      }
    }
  }

  @Test
  void globalStepReadInTheSameRunAsTheIncrementSeesTheValueBefore() {
    try (Graph g = new Graph()) {
      GraphVariable step = GlobalStep.getOrCreate(g);
      Operation inc = GlobalStep.increment(g, 1);
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(step.initializer()).run().close();
        for (long expected = 0; expected < 20; expected++) {
          try (RunResult r = s.runner().fetch(GlobalStep.readTensor(g)).addTarget(inc).run()) {
            assertThat(((TInt64) r.get(0)).getLong()).isEqualTo(expected);
          }
        }
      }
    }
  }

  @Test
  void globalStepOfTheWrongTypeIsRejected() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      tf.withName("global_step").variable(Shape.scalar(), TFloat32.class);
      assertThatThrownBy(() -> GlobalStep.get(g))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must be an integer");
    }
  }

  @Test
  void collectionsRoundTripThroughAMetaGraphAndTheGlobalStepIsFoundAgain() {
    MetaGraphDef exported;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(2f));
      var loss = tf.withName("loss").math.square(tf.math.sub(tf.math.mul(x, w), tf.constant(4f)));
      Operation train = TrainOps.minimize(new GradientDescent(g, 0.1f), loss, "train_op");
      GraphCollections c = GraphCollections.of(g);
      c.add(CollectionKeys.LOSSES, loss.asOutput());
      c.add("my_numbers", 7L);
      c.add("my_floats", 0.5f);
      c.add(CollectionKeys.SAVERS, SaverDef.newBuilder().setRestoreOpName("save/restore_all").build());
      exported =
          MetaGraphDef.newBuilder()
              .setGraphDef(g.toGraphDef())
              .putAllCollectionDef(c.toCollectionDefs())
              .build();
      assertThat(train.name()).isEqualTo("train_op");
      assertThat(train.type()).isEqualTo("AssignAdd");
    }
    Map<String, CollectionDef> defs = exported.getCollectionDefMap();
    assertThat(defs.get("train_op").getNodeList().getValueList()).containsExactly("train_op");
    assertThat(defs.get("losses").getNodeList().getValueList()).containsExactly("loss:0");
    assertThat(defs.get("my_numbers").getInt64List().getValueList()).containsExactly(7L);
    assertThat(defs.get("global_step").getBytesList().getValueCount()).isEqualTo(1);

    try (Graph imported = new Graph()) {
      imported.importGraphDef(exported.getGraphDef());
      GraphCollections c = GraphCollections.of(imported);
      c.importCollectionDefs(exported.getCollectionDefMap(), "");
      assertThat(c.toCollectionDefs()).isEqualTo(exported.getCollectionDefMap());
      GraphVariable step = GlobalStep.get(imported).orElseThrow();
      assertThat(step.name()).isEqualTo("global_step");
      assertThat(step.initializer().name()).isEqualTo("global_step/Assign");
      assertThat(c.get(CollectionKeys.TRAIN_OP, Operation.class).get(0).name()).isEqualTo("train_op");
      assertThat(c.get("my_floats")).containsExactly(0.5f);
      assertThat(c.get(CollectionKeys.SAVERS, SaverDef.class).get(0).getRestoreOpName())
          .isEqualTo("save/restore_all");
    }
  }

  @Test
  void pythonVariableDefsResolveToTheirOperations() {
    try (Graph g = new Graph()) {
      GlobalStep.create(g);
      VariableDef def =
          VariableDef.newBuilder()
              .setVariableName("global_step:0")
              .setInitializerName("global_step/Assign")
              .setSnapshotName("global_step/read:0")
              .build();
      GraphVariable v = GraphVariable.fromProto(g, def, "");
      assertThat(v.toProto()).isEqualTo(def.toBuilder().setTrainable(false).build());
      assertThatThrownBy(
              () ->
                  GraphVariable.fromProto(
                      g, def.toBuilder().setVariableName("nope:0").build(), ""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'nope'");
    }
  }

  @Test
  void collectionsRejectMixedKindsAndForeignGraphs() {
    try (Graph g = new Graph();
        Graph other = new Graph()) {
      GraphCollections c = GraphCollections.of(g);
      c.add("k", 1L);
      assertThatThrownBy(() -> c.add("k", 1f))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("collection 'k' holds INT64_LIST");
      var foreign = Ops.create(other).withName("c").constant(1f);
      assertThatThrownBy(() -> c.add("ops", foreign.op()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("another graph");
      assertThatThrownBy(() -> c.add("k2", "a string"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("java.lang.String");
    }
  }

  @Test
  void minimizeTrainsALinearModelAndStepsTheGlobalStep() {
    float[] trueW = {1f, -2f, 3f, 0.5f};
    float trueB = 0.25f;
    int n = 64;
    float[][] xs = new float[n][4];
    float[][] ys = new float[n][1];
    Random rnd = new Random(7);
    for (int i = 0; i < n; i++) {
      float y = trueB;
      for (int j = 0; j < 4; j++) {
        xs[i][j] = (float) rnd.nextGaussian();
        y += xs[i][j] * trueW[j];
      }
      ys[i][0] = y;
    }
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      // The global step exists before the optimizer, which made Optimizer.minimize fail.
      GraphVariable step = GlobalStep.getOrCreate(g);
      Placeholder<TFloat32> x =
          tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4)));
      Placeholder<TFloat32> y =
          tf.withName("y").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      Variable<TFloat32> w = tf.withName("w").variable(tf.zeros(tf.constant(new long[] {4, 1}), TFloat32.class));
      Variable<TFloat32> b = tf.withName("b").variable(tf.zeros(tf.constant(new long[] {1}), TFloat32.class));
      var pred = tf.math.add(tf.linalg.matMul(x, w), b);
      var loss = tf.withName("loss").math.mean(tf.math.square(tf.math.sub(pred, y)), tf.constant(new int[] {0, 1}));
      assertThat(TrainOps.trainableVariables(g)).extracting(o -> o.op().name()).containsExactly("w", "b");
      Operation train = TrainOps.minimize(new GradientDescent(g, 0.1f), loss, "train_op");
      try (NativeSession s = NativeSession.open(g);
          TFloat32 xt = TFloat32.tensorOf(StdArrays.ndCopyOf(xs));
          TFloat32 yt = TFloat32.tensorOf(StdArrays.ndCopyOf(ys))) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        float first = Float.NaN;
        float last = Float.NaN;
        for (int i = 0; i < 300; i++) {
          try (RunResult r = s.runner().feed(x, xt).feed(y, yt).fetch(loss).addTarget(train).run()) {
            last = ((TFloat32) r.get(0)).getFloat();
            if (i == 0) {
              first = last;
            }
          }
        }
        assertThat(last).isLessThan(first);
        assertThat(GlobalStep.value(s)).isEqualTo(300);
        try (RunResult r = s.runner().fetch(w).fetch(b).run()) {
          TFloat32 wv = (TFloat32) r.get(0);
          for (int j = 0; j < 4; j++) {
            assertThat(wv.getFloat(j, 0)).isCloseTo(trueW[j], within(1e-3f));
          }
          assertThat(((TFloat32) r.get(1)).getFloat(0)).isCloseTo(trueB, within(1e-3f));
        }
      }
      assertThat(step.name()).isEqualTo("global_step");
      assertThat(GraphCollections.of(g).get(CollectionKeys.TRAIN_OP)).containsExactly(train);
      assertThat(List.of(train.type())).containsExactly("AssignAdd");
    }
  }
}

package dev.tfmon.optimizers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.graph.TrainOps;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.testing.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.AdaGradDA;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.framework.optimizers.Adamax;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Nadam;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * Issue 17 seed / issue 14 item 1: the ordered optimizers step exactly as TensorFlow 1.x, in every
 * fresh session. The model: w = [1, -2, 0.5], loss sum(w * [1, -3, 0.25]), so every step sees the
 * gradient [1, -3, 0.25]; the expected weights after 1, 2 and 3 steps are Python TensorFlow 2.21's
 * (tfmon-core/src/test/python/ordered_optimizers_expected.py prints them): TF 1.x's AdamOptimizer
 * and AdagradDAOptimizer, and the ApplyAdaMax kernel with beta1_power = beta1^t for Adamax, whose
 * TF 1.x class lived in tf.contrib. Compared bit for bit.
 */
class OrderedOptimizersTest {
  private static final int FRESH_SESSIONS = 8;

  private static final int[][] ADAM = {
      {0x3f666667, 0xbff33333, 0x3eccccd1}, {0x3f4cccd3, 0xbfe66669, 0x3e9999ac}, {0x3f333346, 0xbfd999a2, 0x3e4ccd26}};
  private static final int[][] ADAM_TUNED = {   // lr 0.05, betas 0.8 and 0.99, epsilon 1e-6
      {0x3f73333c, 0xbff9999b, 0x3ee666aa}, {0x3f666675, 0xbff33336, 0x3ecccd40}, {0x3f5999ae, 0xbfecccd1, 0x3eb333ce}};
  private static final int[][] ADAMAX = {
      {0x3f666667, 0xbff33333, 0x3eccccce}, {0x3f4cccce, 0xbfe66666, 0x3e99999c}, {0x3f333335, 0xbfd99999, 0x3e4cccd4}};
  private static final int[][] ADAMAX_TUNED = {
      {0x3f733334, 0xbff9999a, 0x3ee6666d}, {0x3f666668, 0xbff33334, 0x3eccccda}, {0x3f59999c, 0xbfecccce, 0x3eb33347}};
  private static final int[][] ADAGRAD_DA = {   // lr 0.5, initial accumulator 0.1, l1 0.01, l2 0.02
      {0xbeef5d03, 0x3efce70c, 0xbe94b978}, {0xbf2c8266, 0x3f331336, 0xbef892b2}, {0xbf544c8f, 0x3f5b4aac, 0xbf22c5ac}};

  @Test
  void orderedAdamStepsAsTensorFlow1InEveryFreshSession() {
    assertStepsInFreshSessions("OrderedAdam(0.1)", g -> new OrderedAdam(g, 0.1f), ADAM);
    assertStepsInFreshSessions("OrderedAdam(named)", g -> new OrderedAdam(g, "adam", 0.1f), ADAM);
    assertStepsInFreshSessions("OrderedAdam(tuned)", g -> new OrderedAdam(g, 0.05f, 0.8f, 0.99f, 1e-6f), ADAM_TUNED);
    assertStepsInFreshSessions("OrderedAdam(named, tuned)",
        g -> new OrderedAdam(g, "adam", 0.05f, 0.8f, 0.99f, 1e-6f), ADAM_TUNED);
  }

  @Test
  void orderedAdamaxStepsAsTheKernelRunInOrder() {
    assertStepsInFreshSessions("OrderedAdamax(0.1)", g -> new OrderedAdamax(g, 0.1f), ADAMAX);
    assertStepsInFreshSessions("OrderedAdamax(named)", g -> new OrderedAdamax(g, "adamax", 0.1f), ADAMAX);
    assertStepsInFreshSessions("OrderedAdamax(tuned)", g -> new OrderedAdamax(g, 0.05f, 0.8f, 0.99f, 1e-6f), ADAMAX_TUNED);
    assertStepsInFreshSessions("OrderedAdamax(named, tuned)",
        g -> new OrderedAdamax(g, "adamax", 0.05f, 0.8f, 0.99f, 1e-6f), ADAMAX_TUNED);
  }

  @Test
  void orderedAdaGradDAStepsAsTensorFlow1() {
    assertStepsInFreshSessions("OrderedAdaGradDA", g -> new OrderedAdaGradDA(g, 0.5f, 0.1f, 0.01f, 0.02f), ADAGRAD_DA);
    assertStepsInFreshSessions("OrderedAdaGradDA(named)",
        g -> new OrderedAdaGradDA(g, "adagrad_da", 0.5f, 0.1f, 0.01f, 0.02f), ADAGRAD_DA);
  }

  // two optimizers in one graph: TF Java names the second one's state beta1_power_1
  @Test
  void twoOrderedAdamsInOneGraphEachAdvanceTheirOwnPowers() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      List<Output<TFloat32>> weights = new ArrayList<>();
      List<Operation> trains = new ArrayList<>();
      for (String name : List.of("u", "v")) {
        Variable<TFloat32> w = tf.withName(name).variable(tf.constant(new float[] {1f, -2f, 0.5f}));
        Operand<TFloat32> loss = tf.sum(tf.math.mul(w, tf.constant(new float[] {1f, -3f, 0.25f})), tf.constant(0));
        Output<?> grad = g.addGradients(loss.asOutput(), new Output<?>[] {w.asOutput()})[0];
        trains.add(new OrderedAdam(g, 0.1f).applyGradients(List.of(gradAndVar(grad, w.asOutput())), name + "_train").op());
        weights.add(w.asOutput());
      }
      assertThat(g.operation("beta1_power")).isNotNull();
      assertThat(g.operation("beta1_power_1")).isNotNull();
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        for (int step = 0; step < 3; step++) {
          s.runner().addTargets(trains).run().close();
          for (Output<TFloat32> w : weights) {
            assertThat(bits(read(s, w))).as("%s after %d steps", w.op().name(), step + 1).containsExactly(ADAM[step]);
          }
        }
      }
    }
  }

  @Test
  void twoIdenticalRunsGiveIdenticalWeights() {
    for (Function<Graph, Optimizer> make : List.<Function<Graph, Optimizer>>of(
        g -> new OrderedAdam(g, 0.01f), g -> new OrderedAdamax(g, 0.01f), g -> new OrderedAdaGradDA(g, 0.1f, 0.1f, 0.001f, 0.001f))) {
      float[] first = trainClassifier(make);
      float[] second = trainClassifier(make);
      assertThat(bits(second)).as("%s", make.apply(new Graph())).containsExactly(bits(first));
    }
  }

  @Test
  void theRacyFrameworkClassesAndTheirReplacements() {
    try (Graph g = new Graph()) {
      assertThat(OrderedOptimizers.replacementFor(new Adam(g, 0.1f))).contains(OrderedAdam.class);
      assertThat(OrderedOptimizers.replacementFor(new Adamax(g, 0.1f))).contains(OrderedAdamax.class);
      assertThat(OrderedOptimizers.replacementFor(new AdaGradDA(g, 0.1f))).contains(OrderedAdaGradDA.class);
      assertThat(OrderedOptimizers.replacementFor(new OrderedAdam(g, 0.1f))).isEmpty();
      assertThat(OrderedOptimizers.replacementFor(new Nadam(g, 0.1f))).isEmpty();
      assertThat(OrderedOptimizers.replacementFor(new GradientDescent(g, 0.1f))).isEmpty();
    }
  }

  // TrainOps warns once per racy class and JVM, naming the replacement; a JVM of its own, since
  // other tests of this one hand TrainOps the framework's Adam
  @Test
  @Tag("multiprocess")
  void trainOpsWarnsOncePerRacyClassNamingTheReplacement() {
    String transcript;
    try (ChildJvm child = ChildJvm.start("warnings", RacyOptimizerWarningMain.class, List.of())) {
      child.awaitLine("DONE", Duration.ofMinutes(2));
      transcript = child.transcript();
    }
    List<String> warnings = transcript.lines().filter(l -> l.contains("OrderedOptimizers")).toList();
    assertThat(warnings).containsExactly(
        "[main] WARN dev.tfmon.optimizers.OrderedOptimizers - tensorflow-framework's Adam advances its beta1_power and beta2_power in the same"
            + " run as the updates that read it, in no set order, so its steps differ from run to run and from"
            + " TensorFlow 1.x; use dev.tfmon.optimizers.OrderedAdam (the same constructors) instead",
        "[main] WARN dev.tfmon.optimizers.OrderedOptimizers - tensorflow-framework's Adamax advances its beta1_power in the same"
            + " run as the updates that read it, in no set order, so its steps differ from run to run and from"
            + " TensorFlow 1.x; use dev.tfmon.optimizers.OrderedAdamax (the same constructors) instead");
  }

  private static void assertStepsInFreshSessions(String what, Function<Graph, Optimizer> make, int[][] expected) {
    for (int session = 0; session < FRESH_SESSIONS; session++) {
      try (Graph g = new Graph()) {
        Ops tf = Ops.create(g);
        Variable<TFloat32> w = tf.withName("w").variable(tf.constant(new float[] {1f, -2f, 0.5f}));
        Operand<TFloat32> loss = tf.sum(tf.math.mul(w, tf.constant(new float[] {1f, -3f, 0.25f})), tf.constant(0));
        Operation train = TrainOps.minimize(make.apply(g), loss, "train_op");
        try (NativeSession s = NativeSession.open(g)) {
          s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
          for (int step = 0; step < expected.length; step++) {
            s.runner().addTarget(train).run().close();
            assertThat(bits(read(s, w.asOutput())))
                .as("%s after %d steps, fresh session %d: %s", what, step + 1, session, java.util.Arrays.toString(read(s, w.asOutput())))
                .containsExactly(expected[step]);
          }
        }
      }
    }
  }

  /** A 2-16-3 classifier on 64 fixed points, 40 steps; its first kernel afterwards. */
  private static float[] trainClassifier(Function<Graph, Optimizer> make) {
    Random random = new Random(5);
    float[][] x = new float[64][2];
    float[][] y = new float[64][3];
    float[][] k1 = new float[2][16];
    float[][] k2 = new float[16][3];
    for (int i = 0; i < x.length; i++) {
      x[i][0] = random.nextFloat() * 2 - 1;
      x[i][1] = random.nextFloat() * 2 - 1;
      y[i][(x[i][0] > 0 ? 1 : 0) + (x[i][1] > 0.5f ? 1 : 0)] = 1f;
    }
    for (float[] row : k1) {
      for (int j = 0; j < row.length; j++) {
        row[j] = random.nextFloat() - 0.5f;
      }
    }
    for (float[] row : k2) {
      for (int j = 0; j < row.length; j++) {
        row[j] = random.nextFloat() - 0.5f;
      }
    }
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> w1 = tf.withName("w1").variable(tf.constant(StdArrays.ndCopyOf(k1)));
      Variable<TFloat32> b1 = tf.withName("b1").variable(tf.zeros(tf.constant(new int[] {16}), TFloat32.class));
      Variable<TFloat32> w2 = tf.withName("w2").variable(tf.constant(StdArrays.ndCopyOf(k2)));
      Operand<TFloat32> hidden = tf.nn.relu(tf.math.add(tf.linalg.matMul(tf.constant(StdArrays.ndCopyOf(x)), w1), b1));
      Operand<TFloat32> loss = tf.math.mean(tf.nn.softmaxCrossEntropyWithLogits(
          tf.linalg.matMul(hidden, w2), tf.constant(StdArrays.ndCopyOf(y))).loss(), tf.constant(0));
      Operation train = TrainOps.minimize(make.apply(g), loss, "train_op");
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        for (int i = 0; i < 40; i++) {
          s.runner().addTarget(train).run().close();
        }
        return read(s, w1.asOutput());
      }
    }
  }

  private static float[] read(NativeSession s, Output<TFloat32> w) {
    try (RunResult r = s.runner().fetch(w).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[] out = new float[(int) t.shape().size()];
      int[] i = {0};
      t.scalars().forEach(v -> out[i[0]++] = v.getFloat());
      return out;
    }
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToIntBits(values[i]);
    }
    return out;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Optimizer.GradAndVar<? extends TType> gradAndVar(Output<?> grad, Output<?> variable) {
    return new Optimizer.GradAndVar(grad, variable);
  }
}

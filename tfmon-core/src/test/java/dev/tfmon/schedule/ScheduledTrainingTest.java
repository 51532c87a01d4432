package dev.tfmon.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.runtime.GraphEdits;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.scaffold.Scaffold;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.AdaDelta;
import org.tensorflow.framework.optimizers.AdaGrad;
import org.tensorflow.framework.optimizers.AdaGradDA;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.framework.optimizers.Adamax;
import org.tensorflow.framework.optimizers.Ftrl;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Momentum;
import org.tensorflow.framework.optimizers.Nadam;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.framework.optimizers.RMSProp;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.Summary;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TString;

/**
 * A schedule wired into tensorflow-framework optimizers by TrainOps.minimize: each step's weight
 * change is the gradient times the rate scheduled for that step, and the Scaffold's merged summary
 * reports that rate.
 */
// issue 12
class ScheduledTrainingTest {
  /** Powers of two, so gradient x rate is exact in float32 whatever the kernel fuses. */
  private static final float[] GRADIENT = {1f, -2f, 0.5f};

  private static final LearningRateSchedule SCHEDULE =
      LearningRateSchedule.exponentialDecay(0.1, 4, 0.5, false);

  /** A model whose loss is {@code GRADIENT . w}: its gradient is the same at every step. */
  private static final class Linear {
    final Graph g = new Graph();
    final Ops tf = Ops.create(g);
    final Variable<TFloat32> w = tf.withName("w").variable(tf.constant(new float[] {1f, 1f, 1f}));
    final Operand<TFloat32> loss =
        tf.withName("loss").reduceSum(tf.math.mul(tf.constant(GRADIENT), w), tf.constant(0));
  }

  @Test
  void gradientDescentStepsByGradientTimesTheScheduledRate() throws Exception {
    Linear m = new Linear();
    try (Graph g = m.g) {
      Operand<TFloat32> lr = SCHEDULE.learningRate(g);
      Operation train = TrainOps.minimize(new GradientDescent(g, 123f), lr, m.loss, "train_op");
      Scaffold scaffold = Scaffold.of(g).finalizeScaffold();
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(scaffold.initOp()).run().close();
        float[] w = weights(s, m.w);
        for (int step = 0; step < 10; step++) {
          float rate = scheduled(step);
          // 0.1 * 0.5^(step/4), by hand
          assertThat((double) rate).isCloseTo(0.1 * Math.pow(0.5, step / 4.0), within(1e-8));
          float reported;
          try (RunResult r = s.runner().fetch(scaffold.summaryOp()).addTarget(train).run()) {
            Summary summary = Summary.parseFrom(((TString) r.get(0)).asBytes().getObject());
            assertThat(summary.getValue(0).getTag()).isEqualTo("learning_rate");
            reported = summary.getValue(0).getSimpleValue();
          }
          assertThat(reported).as("summary at step %d", step).isEqualTo(rate);
          float[] next = weights(s, m.w);
          for (int i = 0; i < w.length; i++) {
            assertThat(next[i]).as("w[%d] after step %d", i, step).isEqualTo(w[i] - GRADIENT[i] * rate);
          }
          w = next;
        }
        assertThat(GlobalStep.value(s)).isEqualTo(10);
      } finally {
        GraphFinalization.unfinalize(g);
      }
    }
  }

  @Test
  void aWiredRateActsExactlyAsTheSameRateGivenAsAFloat() {
    // Adam and Adamax are left out of the numbers: tensorflow-framework 1.1.0 updates their beta
    // powers in the same run without ordering them after the update, so their steps vary from run
    // to run whatever the rate (the next test checks their wiring).
    Map<String, BiFunction<Graph, Float, Optimizer>> optimizers = new LinkedHashMap<>();
    optimizers.put("GradientDescent", GradientDescent::new);
    optimizers.put("Momentum", (g, lr) -> new Momentum(g, lr, 0.9f));
    optimizers.put("AdaGrad", AdaGrad::new);
    optimizers.put("AdaGradDA", AdaGradDA::new);
    optimizers.put("AdaDelta", AdaDelta::new);
    optimizers.put("RMSProp", RMSProp::new);
    optimizers.put("Ftrl", Ftrl::new);
    for (Map.Entry<String, BiFunction<Graph, Float, Optimizer>> e : optimizers.entrySet()) {
      float[] wired = threeSteps(g -> e.getValue().apply(g, 999f), 0.05f);
      float[] plain = threeSteps(g -> e.getValue().apply(g, 0.05f), null);
      assertThat(wired).as(e.getKey()).containsExactly(plain);
      assertThat(wired).as(e.getKey() + " moved").doesNotContain(1f);
    }
  }

  @Test
  void everyTrainingOpReadsTheWiredRate() {
    List<Function<Graph, Optimizer>> optimizers =
        List.of(
            g -> new GradientDescent(g, 1f),
            g -> new Momentum(g, 1f, 0.9f),
            g -> new Adam(g, 1f),
            g -> new Adamax(g, 1f),
            g -> new AdaGrad(g, 1f),
            g -> new AdaGradDA(g, 1f),
            g -> new AdaDelta(g, 1f),
            g -> new RMSProp(g, 1f, 0.9f, 0.5f, 1e-7f, true),
            g -> new Ftrl(g, 1f));
    for (Function<Graph, Optimizer> make : optimizers) {
      Linear m = new Linear();
      try (Graph g = m.g) {
        Optimizer optimizer = make.apply(g);
        Operand<TFloat32> lr = m.tf.withName("scheduled_rate").constant(0.5f);
        TrainOps.minimize(optimizer, lr, m.loss, "train_op");
        List<String> readers = new ArrayList<>();
        for (Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
          GraphOperation op = it.next();
          if (op.type().startsWith("Apply")) {
            String input = op.type().equals("ApplyGradientDescent") ? "alpha" : "lr";
            int index = GraphEdits.inputIndex(op, input).getAsInt();
            readers.add(op.type() + " <- " + op.input(index).op().name());
          }
        }
        assertThat(readers)
            .as(optimizer.getOptimizerName())
            .isNotEmpty()
            .allMatch(r -> r.endsWith(" <- scheduled_rate"));
      }
    }
  }

  /** w after three steps of {@code optimizer}, with {@code rate} wired in (null: its own). */
  private static float[] threeSteps(Function<Graph, Optimizer> optimizer, Float rate) {
    Linear m = new Linear();
    try (Graph g = m.g) {
      Operation train =
          rate == null
              ? TrainOps.minimize(optimizer.apply(g), m.loss, "train_op")
              : TrainOps.minimize(optimizer.apply(g), m.tf.constant(rate), m.loss, "train_op");
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        for (int i = 0; i < 3; i++) {
          s.runner().addTarget(train).run().close();
        }
        return weights(s, m.w);
      }
    }
  }

  @Test
  void aDoubleRateIsCastToTheVariablesType() {
    Linear m = new Linear();
    try (Graph g = m.g) {
      Operand<TFloat64> lr = m.tf.constant(0.25);
      Operation train = TrainOps.minimize(new GradientDescent(g, 1f), lr, m.loss, "train_op");
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        s.runner().addTarget(train).run().close();
        assertThat(weights(s, m.w)).containsExactly(0.75f, 1.5f, 0.875f);
      }
    }
  }

  @Test
  void unusableRatesAndOptimizersAreRejectedNamingThem() {
    Linear m = new Linear();
    try (Graph g = m.g) {
      assertThatThrownBy(
              () -> TrainOps.minimize(new GradientDescent(g, 1f), m.tf.constant(new float[] {1f, 2f}), m.loss, "t"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageMatching("the learning rate 'Const(_\\d+)?:0' must be a scalar, but has shape \\[2\\]");
      assertThatThrownBy(() -> TrainOps.minimize(new GradientDescent(g, 1f), m.tf.constant(1), m.loss, "t"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must be a floating-point tensor, but is DT_INT32");
      try (Graph other = new Graph()) {
        Operand<TFloat32> foreign = Ops.create(other).withName("lr").constant(0.1f);
        assertThatThrownBy(() -> TrainOps.minimize(new GradientDescent(g, 1f), foreign, m.loss, "t"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("the learning rate 'lr:0' belongs to another graph than the loss");
      }
      assertThatThrownBy(() -> TrainOps.minimize(new Nadam(g, 1f), m.tf.constant(0.1f), m.loss, "t"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("optimizer Nadam built no training op with a learning-rate input");
    }
  }

  /** The schedule's rate at {@code step}, evaluated on its own. */
  private static float scheduled(long step) {
    try (Graph g = new Graph()) {
      Operand<TFloat32> rate = SCHEDULE.rateAt(Ops.create(g).constant(step));
      try (NativeSession s = NativeSession.open(g); RunResult r = s.runner().fetch(rate).run()) {
        return ((TFloat32) r.get(0)).getFloat();
      }
    }
  }

  private static float[] weights(NativeSession s, Operand<TFloat32> w) {
    try (RunResult r = s.runner().fetch(w).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[] out = new float[(int) t.shape().size(0)];
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getFloat(i);
      }
      return out;
    }
  }
}

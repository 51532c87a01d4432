package dev.tfmon.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.testing.CsvFixture;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.Summary;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * Each schedule at chosen steps: against values worked out by hand from TF 1.x's formulas (in
 * double precision, so within float32 precision), and bit for bit against the float32 values Python
 * TensorFlow 2.21's tf.compat.v1.train.*_decay computed (resources/issue12/schedule_expected.csv).
 */
// issue 12
class LearningRateSchedulesTest {
  /** Relative tolerance of a hand value: a few float32 ulps. */
  private static final double FLOAT32_PRECISION = 1e-6;

  private static final Map<String, LearningRateSchedule> CASES = new LinkedHashMap<>();

  static {
    CASES.put("exponential", LearningRateSchedule.exponentialDecay(0.1, 100, 0.96, false));
    CASES.put("exponential_staircase", LearningRateSchedule.exponentialDecay(0.1, 100, 0.96, true));
    CASES.put(
        "piecewise_constant",
        LearningRateSchedule.piecewiseConstant(new long[] {100, 200}, new double[] {1.0, 0.5, 0.1}));
    CASES.put("polynomial", LearningRateSchedule.polynomialDecay(0.1, 1000, 0.01, 0.5, false));
    CASES.put("polynomial_cycle", LearningRateSchedule.polynomialDecay(0.1, 1000, 0.01, 2.0, true));
    CASES.put("cosine", LearningRateSchedule.cosineDecay(0.1, 1000, 0.0));
    CASES.put("cosine_alpha", LearningRateSchedule.cosineDecay(0.1, 1000, 0.1));
    CASES.put("cosine_restarts", LearningRateSchedule.cosineDecayRestarts(0.1, 100, 2.0, 1.0, 0.0));
    CASES.put(
        "cosine_restarts_tmul1_mmul",
        LearningRateSchedule.cosineDecayRestarts(0.1, 100, 1.0, 0.5, 0.1));
    CASES.put("inverse_time", LearningRateSchedule.inverseTimeDecay(0.1, 100, 0.5, false));
    CASES.put("inverse_time_staircase", LearningRateSchedule.inverseTimeDecay(0.1, 100, 0.5, true));
    CASES.put("natural_exp", LearningRateSchedule.naturalExpDecay(0.1, 100, 0.5, false));
    CASES.put("natural_exp_staircase", LearningRateSchedule.naturalExpDecay(0.1, 100, 0.5, true));
    CASES.put(
        "warmup_exponential",
        LearningRateSchedule.exponentialDecay(0.1, 100, 0.96, false).withLinearWarmup(50));
  }

  @Test
  void exponentialDecay() {
    LearningRateSchedule s = CASES.get("exponential");
    // 0.1 * 0.96^(step/100)
    assertHand(s, 0, 0.1);
    assertHand(s, 50, 0.09797958971132713); // 0.1 * 0.96^0.5
    assertHand(s, 100, 0.096);
    assertHand(s, 150, 0.09406040612287403); // 0.1 * 0.96^1.5
    assertHand(s, 250, 0.09029798987795908); // 0.1 * 0.96^2.5
    assertHand(s, 1000, 0.06648326359915008); // 0.1 * 0.96^10
  }

  @Test
  void exponentialDecayStaircase() {
    LearningRateSchedule s = CASES.get("exponential_staircase");
    // 0.1 * 0.96^floor(step/100)
    assertHand(s, 0, 0.1);
    assertHand(s, 99, 0.1);
    assertHand(s, 100, 0.096);
    assertHand(s, 101, 0.096);
    assertHand(s, 250, 0.09216); // 0.1 * 0.96^2
    assertHand(s, 1000, 0.06648326359915008);
  }

  @Test
  void piecewiseConstant() {
    LearningRateSchedule s = CASES.get("piecewise_constant");
    // 1.0 for step <= 100, 0.5 for 100 < step <= 200, then 0.1
    assertHand(s, 0, 1.0);
    assertHand(s, 100, 1.0);
    assertHand(s, 101, 0.5);
    assertHand(s, 200, 0.5);
    assertHand(s, 201, 0.1);
    assertHand(s, 2500, 0.1);
  }

  @Test
  void polynomialDecay() {
    LearningRateSchedule s = CASES.get("polynomial");
    // (0.1 - 0.01) * (1 - min(step, 1000)/1000)^0.5 + 0.01
    assertHand(s, 0, 0.1);
    assertHand(s, 250, 0.08794228634059947); // 0.09 * sqrt(0.75) + 0.01
    assertHand(s, 500, 0.07363961030678928); // 0.09 * sqrt(0.5) + 0.01
    assertHand(s, 700, 0.05929503017546497); // 0.09 * sqrt(0.3) + 0.01
    assertHand(s, 1000, 0.01);
    assertHand(s, 2500, 0.01);
  }

  @Test
  void polynomialDecayWithCycle() {
    LearningRateSchedule s = CASES.get("polynomial_cycle");
    // period = 1000 * ceil(step/1000) (1000 at step 0); 0.09 * (1 - step/period)^2 + 0.01
    assertHand(s, 0, 0.1);
    assertHand(s, 250, 0.060625); // 0.09 * 0.75^2 + 0.01
    assertHand(s, 1000, 0.01);
    assertHand(s, 1500, 0.015625); // period 2000: 0.09 * 0.25^2 + 0.01
    assertHand(s, 2500, 0.0125); // period 3000: 0.09 * (1/6)^2 + 0.01
  }

  @Test
  void cosineDecay() {
    LearningRateSchedule s = CASES.get("cosine");
    // 0.1 * 0.5 * (1 + cos(pi * min(step, 1000)/1000))
    assertHand(s, 0, 0.1);
    assertHand(s, 250, 0.08535533905932738); // 0.05 * (1 + cos(pi/4))
    assertHand(s, 500, 0.05);
    assertHand(s, 700, 0.02061073738537635); // 0.05 * (1 + cos(0.7 pi))
    assertHand(s, 1000, 0.0);
    assertHand(s, 2500, 0.0);
  }

  @Test
  void cosineDecayWithAlpha() {
    LearningRateSchedule s = CASES.get("cosine_alpha");
    // 0.1 * (0.9 * 0.5 * (1 + cos(pi * min(step, 1000)/1000)) + 0.1)
    assertHand(s, 0, 0.1);
    assertHand(s, 250, 0.08681980515339464);
    assertHand(s, 500, 0.055);
    assertHand(s, 700, 0.02854966364683872);
    assertHand(s, 1000, 0.01);
  }

  @Test
  void cosineDecayRestarts() {
    LearningRateSchedule s = CASES.get("cosine_restarts");
    // periods of 100, 200, 400... steps; restart i = floor(log2(1 + step/100)), start 0.1 each
    assertHand(s, 0, 0.1);
    assertHand(s, 50, 0.05); // half of period 0
    assertHand(s, 100, 0.1); // restart 1
    assertHand(s, 150, 0.08535533905932738); // a quarter of period 1 (200 steps)
    assertHand(s, 200, 0.05); // half of period 1
    assertHand(s, 300, 0.1); // restart 2
    assertHand(s, 500, 0.05); // half of period 2 (400 steps)
  }

  @Test
  void cosineDecayRestartsWithEqualPeriodsAndShrinkingStarts() {
    LearningRateSchedule s = CASES.get("cosine_restarts_tmul1_mmul");
    // periods of 100; start 0.5^i; rate 0.1 * (0.9 * 0.5 * 0.5^i * (1 + cos(pi * f)) + 0.1)
    assertHand(s, 0, 0.1);
    assertHand(s, 50, 0.055); // i 0, f 0.5
    assertHand(s, 100, 0.055); // i 1, f 0
    assertHand(s, 150, 0.0325); // i 1, f 0.5
    assertHand(s, 250, 0.02125); // i 2, f 0.5
  }

  @Test
  void inverseTimeDecay() {
    LearningRateSchedule s = CASES.get("inverse_time");
    // 0.1 / (1 + 0.5 * step/100)
    assertHand(s, 0, 0.1);
    assertHand(s, 50, 0.08);
    assertHand(s, 100, 0.1 / 1.5);
    assertHand(s, 250, 0.1 / 2.25);
    assertHand(s, 1000, 0.1 / 6);
  }

  @Test
  void inverseTimeDecayStaircase() {
    LearningRateSchedule s = CASES.get("inverse_time_staircase");
    // 0.1 / (1 + 0.5 * floor(step/100))
    assertHand(s, 0, 0.1);
    assertHand(s, 99, 0.1);
    assertHand(s, 100, 0.1 / 1.5);
    assertHand(s, 250, 0.05);
    assertHand(s, 1000, 0.1 / 6);
  }

  @Test
  void naturalExpDecay() {
    LearningRateSchedule s = CASES.get("natural_exp");
    // 0.1 * exp(-0.5 * step/100)
    assertHand(s, 0, 0.1);
    assertHand(s, 50, 0.1 * Math.exp(-0.25));
    assertHand(s, 100, 0.1 * Math.exp(-0.5));
    assertHand(s, 250, 0.1 * Math.exp(-1.25));
    assertHand(s, 1000, 0.1 * Math.exp(-5));
  }

  @Test
  void naturalExpDecayStaircase() {
    LearningRateSchedule s = CASES.get("natural_exp_staircase");
    // 0.1 * exp(-0.5 * floor(step/100))
    assertHand(s, 0, 0.1);
    assertHand(s, 99, 0.1);
    assertHand(s, 100, 0.1 * Math.exp(-0.5));
    assertHand(s, 250, 0.1 * Math.exp(-1));
    assertHand(s, 1000, 0.1 * Math.exp(-5));
  }

  @Test
  void linearWarmupInFrontOfExponentialDecay() {
    LearningRateSchedule s = CASES.get("warmup_exponential");
    // step < 50: 0.1 * step/50; then 0.1 * 0.96^(step/100), not delayed
    assertHand(s, 0, 0.0);
    assertHand(s, 1, 0.002);
    assertHand(s, 25, 0.05);
    assertHand(s, 49, 0.098);
    assertHand(s, 50, 0.09797958971132713);
    assertHand(s, 1000, 0.06648326359915008);
  }

  @Test
  void warmupOfAConstantRampsToIt() {
    LearningRateSchedule s = LearningRateSchedule.constant(0.01).withLinearWarmup(4);
    assertHand(s, 0, 0.0);
    assertHand(s, 1, 0.0025);
    assertHand(s, 3, 0.0075);
    assertHand(s, 4, 0.01);
    assertHand(s, 1_000_000, 0.01);
  }

  static Stream<Arguments> pythonValues() {
    return CsvFixture.read("/issue12/schedule_expected.csv").stream()
        .collect(Collectors.groupingBy(r -> r.get("case"), LinkedHashMap::new, Collectors.toList()))
        .entrySet()
        .stream()
        .map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pythonValues")
  void equalsPythonTensorFlowBitForBit(String name, List<Map<String, String>> rows) {
    LearningRateSchedule s = CASES.get(name);
    assertThat(s).as("a Java case for %s", name).isNotNull();
    assertThat(rows).hasSizeGreaterThanOrEqualTo(5);
    for (Map<String, String> row : rows) {
      long step = Long.parseLong(row.get("step"));
      float expected = Float.parseFloat(row.get("value"));
      assertThat(rate(s, step)).as("%s at step %d", name, step).isEqualTo(expected);
    }
  }

  @Test
  void int32AndFloatStepsGiveTheSameRates() {
    LearningRateSchedule s = CASES.get("polynomial_cycle");
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> fromInt32 = s.rateAt(tf.constant(1500));
      Operand<TFloat32> fromFloat = s.rateAt(tf.constant(1500f));
      try (NativeSession session = NativeSession.open(g);
          RunResult r = session.runner().fetch(fromInt32).fetch(fromFloat).run()) {
        assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(rate(s, 1500));
        assertThat(((TFloat32) r.get(1)).getFloat()).isEqualTo(rate(s, 1500));
      }
    }
  }

  @Test
  void learningRateFollowsTheGlobalStepAndIsSummarized() throws Exception {
    try (Graph g = new Graph()) {
      Operand<TFloat32> lr = CASES.get("exponential_staircase").learningRate(g);
      List<Output> summaries = GraphCollections.of(g).get(CollectionKeys.SUMMARIES, Output.class);
      assertThat(summaries).hasSize(1);
      var increment = GlobalStep.increment(g, 100);
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(GlobalStep.get(g).orElseThrow().initializer()).run().close();
        for (float expected : new float[] {0.1f, 0.096f, 0.09216f}) {
          try (RunResult r = s.runner().fetch(lr).fetch(summaries.get(0)).addTarget(increment).run()) {
            assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(expected);
            Summary summary = Summary.parseFrom(((TString) r.get(1)).asBytes().getObject());
            assertThat(summary.getValue(0).getTag()).isEqualTo("learning_rate");
            assertThat(summary.getValue(0).getSimpleValue()).isEqualTo(expected);
          }
        }
      }
    }
  }

  @Test
  void badSettingsAreRejectedNamingTheValue() {
    assertThatThrownBy(() -> LearningRateSchedule.exponentialDecay(0.1, 0, 0.96, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("exponential decay: decaySteps must be positive, but got 0");
    assertThatThrownBy(() -> LearningRateSchedule.cosineDecay(Double.NaN, 10, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cosine decay: rate must be a finite number, but got NaN");
    assertThatThrownBy(
            () -> LearningRateSchedule.piecewiseConstant(new long[] {10, 10}, new double[] {1, 2, 3}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("piecewise constant: boundaries must increase strictly, but got [10, 10]");
    assertThatThrownBy(
            () -> LearningRateSchedule.piecewiseConstant(new long[] {10}, new double[] {1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "piecewise constant: expected one more value than boundaries, but got 1 values [1.0] for 1 boundaries [10]");
    assertThatThrownBy(() -> LearningRateSchedule.cosineDecayRestarts(0.1, 10, 0, 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cosine decay restarts: tMul must be a positive number, but got 0.0");
    assertThatThrownBy(() -> LearningRateSchedule.constant(0.1).withLinearWarmup(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("linear warm-up: warmupSteps must be positive, but got -5");
  }

  private final Map<LearningRateSchedule, RateProbe> probes = new java.util.IdentityHashMap<>();

  @AfterEach
  void closeProbes() {
    probes.values().forEach(RateProbe::close);
  }

  private void assertHand(LearningRateSchedule s, long step, double expected) {
    assertThat((double) rate(s, step))
        .as("%s at step %d", s, step)
        .isCloseTo(expected, within(Math.max(Math.abs(expected) * FLOAT32_PRECISION, 1e-12)));
  }

  /** The schedule's rate when an int64 global step is {@code step}. */
  private float rate(LearningRateSchedule s, long step) {
    return probes.computeIfAbsent(s, RateProbe::new).at(step);
  }

  /** One graph and session per schedule, fed every step a test asks for. */
  private static final class RateProbe implements AutoCloseable {
    private final Graph graph = new Graph();
    private final Placeholder<TInt64> step;
    private final Operand<TFloat32> rate;
    private final NativeSession session;

    RateProbe(LearningRateSchedule schedule) {
      Ops tf = Ops.create(graph);
      step = tf.withName("global_step").placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      rate = schedule.rateAt(step);
      session = NativeSession.open(graph);
    }

    float at(long value) {
      try (TInt64 t = TInt64.scalarOf(value);
          RunResult r = session.runner().feed(step, t).fetch(rate).run()) {
        return ((TFloat32) r.get(0)).getFloat();
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }
}

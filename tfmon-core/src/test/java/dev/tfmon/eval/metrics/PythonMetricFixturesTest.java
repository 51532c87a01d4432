package dev.tfmon.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.Runner;
import dev.tfmon.testing.CsvFixture;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Every streaming metric against the numbers Python TensorFlow 2.21's tf.compat.v1.metrics computed
 * on the same fixed data (src/test/resources/issue12, made by make_fixtures.py): the value before
 * any batch, what the update op returns after each of three unequal batches, and the final value.
 */
// issue 12
class PythonMetricFixturesTest {
  private static final List<Map<String, String>> INPUTS = CsvFixture.read("/issue12/metric_inputs.csv");
  private static final List<Map<String, String>> EXPECTED =
      CsvFixture.read("/issue12/metric_expected.csv");
  private static final List<String> FLOAT_COLUMNS =
      List.of("value", "weight", "pred_prob", "reg_label", "reg_pred");
  private static final List<String> INT_COLUMNS =
      List.of("label_bin", "pred_bin", "label_cls", "pred_cls");

  /** The placeholders of one graph, one per CSV column, all of shape [-1]. */
  private record Inputs(Ops tf, Map<String, Placeholder<?>> columns) {
    Operand<?> col(String name) {
      return columns.get(name);
    }

    @SuppressWarnings("unchecked")
    Operand<TFloat32> f(String name) {
      return (Operand<TFloat32>) columns.get(name);
    }

    Operand<?> column2d(String name) {
      return tf.reshape(columns.get(name), tf.constant(new long[] {-1, 1}));
    }
  }

  private record Case(String name, String set, Function<Inputs, Metric> build) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("mean", "main", in -> StreamingMetrics.mean(in.col("value")).build()),
        new Case("mean_weighted", "main",
            in -> StreamingMetrics.mean(in.col("value")).weights(in.f("weight")).build()),
        new Case("mean_scalar_weight", "main",
            in -> StreamingMetrics.mean(in.col("value")).weights(in.tf().constant(0.5f)).build()),
        new Case("mean_weights_2d", "main",
            in -> StreamingMetrics.mean(in.col("value")).weights(f2d(in, "weight")).build()),
        new Case("accuracy", "main",
            in -> StreamingMetrics.accuracy(in.col("label_cls"), in.col("pred_cls")).build()),
        new Case("accuracy_weighted", "main",
            in -> StreamingMetrics.accuracy(in.col("label_cls"), in.col("pred_cls"))
                .weights(in.f("weight")).build()),
        new Case("accuracy_predictions_2d", "main",
            in -> StreamingMetrics.accuracy(in.col("label_cls"), in.column2d("pred_cls")).build()),
        new Case("precision", "main",
            in -> StreamingMetrics.precision(in.col("label_bin"), in.col("pred_bin")).build()),
        new Case("precision_weighted", "main",
            in -> StreamingMetrics.precision(in.col("label_bin"), in.col("pred_bin"))
                .weights(in.f("weight")).build()),
        new Case("precision_negatives", "negatives",
            in -> StreamingMetrics.precision(in.col("label_bin"), in.col("pred_bin")).build()),
        new Case("recall", "main",
            in -> StreamingMetrics.recall(in.col("label_bin"), in.col("pred_bin")).build()),
        new Case("recall_weighted", "main",
            in -> StreamingMetrics.recall(in.col("label_bin"), in.col("pred_bin"))
                .weights(in.f("weight")).build()),
        new Case("recall_negatives", "negatives",
            in -> StreamingMetrics.recall(in.col("label_bin"), in.col("pred_bin")).build()),
        new Case("auc_roc", "main", in -> auc(in).build()),
        new Case("auc_roc_weighted", "main", in -> auc(in).weights(in.f("weight")).build()),
        new Case("auc_roc_11_minoring", "main",
            in -> auc(in).numThresholds(11).summation(AucBuilder.Summation.MINORING).build()),
        new Case("auc_roc_11_majoring", "main",
            in -> auc(in).numThresholds(11).summation(AucBuilder.Summation.MAJORING).build()),
        new Case("auc_roc_thresholds", "main", in -> auc(in).thresholds(0.75f, 0.25f, 0.5f).build()),
        new Case("auc_pr_careful", "main",
            in -> auc(in).curve(AucBuilder.Curve.PR)
                .summation(AucBuilder.Summation.CAREFUL_INTERPOLATION).build()),
        new Case("auc_pr_careful_weighted_50", "main",
            in -> auc(in).curve(AucBuilder.Curve.PR).numThresholds(50).weights(in.f("weight"))
                .summation(AucBuilder.Summation.CAREFUL_INTERPOLATION).build()),
        new Case("auc_pr_trapezoidal", "main", in -> auc(in).curve(AucBuilder.Curve.PR).build()),
        new Case("auc_roc_negatives", "negatives", in -> auc(in).build()),
        new Case("auc_pr_careful_negatives", "negatives",
            in -> auc(in).curve(AucBuilder.Curve.PR)
                .summation(AucBuilder.Summation.CAREFUL_INTERPOLATION).build()),
        new Case("mse", "main",
            in -> StreamingMetrics.meanSquaredError(in.col("reg_label"), in.col("reg_pred")).build()),
        new Case("mse_weighted", "main",
            in -> StreamingMetrics.meanSquaredError(in.col("reg_label"), in.col("reg_pred"))
                .weights(in.f("weight")).build()),
        new Case("confusion_matrix", "main",
            in -> StreamingMetrics.confusionMatrix(in.col("label_cls"), in.col("pred_cls"), 3).build()),
        new Case("confusion_matrix_weighted", "main",
            in -> StreamingMetrics.confusionMatrix(in.col("label_cls"), in.col("pred_cls"), 3)
                .weights(in.f("weight")).build()));
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> f2d(Inputs in, String name) {
    return (Operand<TFloat32>) in.column2d(name);
  }

  private static AucBuilder auc(Inputs in) {
    return StreamingMetrics.auc(in.col("label_bin"), in.col("pred_prob"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesPythonTensorFlow(Case c) {
    List<Map<String, String>> expected =
        EXPECTED.stream().filter(r -> r.get("case").equals(c.name())).collect(Collectors.toList());
    assertThat(expected).as("fixture rows for %s", c.name()).isNotEmpty();
    Map<Integer, List<Map<String, String>>> batches = new LinkedHashMap<>();
    INPUTS.stream()
        .filter(r -> r.get("set").equals(c.set()))
        .forEach(r -> batches.computeIfAbsent(Integer.parseInt(r.get("batch")), b -> new ArrayList<>()).add(r));

    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Map<String, Placeholder<?>> columns = new LinkedHashMap<>();
      FLOAT_COLUMNS.forEach(n -> columns.put(n, placeholder(tf, n, TFloat32.class)));
      INT_COLUMNS.forEach(n -> columns.put(n, placeholder(tf, n, TInt64.class)));
      Metric metric = c.build().apply(new Inputs(tf, columns));

      try (NativeSession s = NativeSession.open(g)) {
        metric.variables().forEach(v -> s.runner().addTarget(v.initializer()).run().close());
        assertThat(fetch(s, s.runner().fetch(metric.value())))
            .as("%s before any batch", c.name())
            .containsExactly(values(expected, "initial", ""));
        for (Map.Entry<Integer, List<Map<String, String>>> batch : batches.entrySet()) {
          List<Tensor> feeds = new ArrayList<>();
          try {
            Runner runner = s.runner();
            for (String n : FLOAT_COLUMNS) {
              float[] v = new float[batch.getValue().size()];
              for (int i = 0; i < v.length; i++) {
                v[i] = Float.parseFloat(batch.getValue().get(i).get(n));
              }
              TFloat32 t = TFloat32.vectorOf(v);
              feeds.add(t);
              runner.feed(columns.get(n), t);
            }
            for (String n : INT_COLUMNS) {
              long[] v = new long[batch.getValue().size()];
              for (int i = 0; i < v.length; i++) {
                v[i] = Long.parseLong(batch.getValue().get(i).get(n));
              }
              TInt64 t = TInt64.vectorOf(v);
              feeds.add(t);
              runner.feed(columns.get(n), t);
            }
            assertThat(fetch(s, runner.fetch(metric.update())))
                .as("%s update after batch %d", c.name(), batch.getKey())
                .containsExactly(values(expected, "update", batch.getKey().toString()));
          } finally {
            feeds.forEach(Tensor::close);
          }
        }
        assertThat(fetch(s, s.runner().fetch(metric.value())))
            .as("%s after the last batch", c.name())
            .containsExactly(values(expected, "final", ""));
      }
    }
  }

  private static <T extends org.tensorflow.types.family.TType> Placeholder<T> placeholder(
      Ops tf, String name, Class<T> type) {
    return tf.withName(name).placeholder(type, Placeholder.shape(Shape.of(-1)));
  }

  private static double[] fetch(NativeSession s, Runner runner) {
    try (RunResult r = runner.run()) {
      return MetricValue.of(r.get(0)).values();
    }
  }

  /** The expected elements of one stage; float32 metrics are compared as float32. */
  private static double[] values(List<Map<String, String>> rows, String stage, String batch) {
    return rows.stream()
        .filter(r -> r.get("stage").equals(stage) && r.get("batch").equals(batch))
        .mapToDouble(r -> Double.parseDouble(r.get("value")))
        .toArray();
  }
}

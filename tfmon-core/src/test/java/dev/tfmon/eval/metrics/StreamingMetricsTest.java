package dev.tfmon.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.Runner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Streaming metrics on tiny inputs whose values are worked out by hand in each test. */
// issue 12
class StreamingMetricsTest {

  /** A graph with float and int64 placeholders of shape [-1], fed batch by batch. */
  private static final class Rig implements AutoCloseable {
    final Graph g = new Graph();
    final Ops tf = Ops.create(g);
    final Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
    final Placeholder<TFloat32> w = tf.withName("w").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
    final Placeholder<TInt64> labels = tf.withName("labels").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
    final Placeholder<TInt64> predictions =
        tf.withName("predictions").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
    NativeSession session;

    NativeSession session() {
      if (session == null) {
        session = NativeSession.open(g);
        List<GraphVariable> locals = GraphCollections.of(g).variables(CollectionKeys.LOCAL_VARIABLES);
        locals.forEach(v -> session.runner().addTarget(v.initializer()).run().close());
      }
      return session;
    }

    /** Runs {@code fetch} feeding the given columns (null: not fed); returns its elements. */
    double[] run(Operand<?> fetch, float[] xs, float[] ws, long[] ls, long[] ps) {
      List<Tensor> feeds = new ArrayList<>();
      try {
        Runner r = session().runner();
        if (xs != null) {
          feeds.add(TFloat32.vectorOf(xs));
          r.feed(x, feeds.get(feeds.size() - 1));
        }
        if (ws != null) {
          feeds.add(TFloat32.vectorOf(ws));
          r.feed(w, feeds.get(feeds.size() - 1));
        }
        if (ls != null) {
          feeds.add(TInt64.vectorOf(ls));
          r.feed(labels, feeds.get(feeds.size() - 1));
        }
        if (ps != null) {
          feeds.add(TInt64.vectorOf(ps));
          r.feed(predictions, feeds.get(feeds.size() - 1));
        }
        try (RunResult result = r.fetch(fetch).run()) {
          return MetricValue.of(result.get(0)).values();
        }
      } finally {
        feeds.forEach(Tensor::close);
      }
    }

    double value(Metric m) {
      return run(m.value(), null, null, null, null)[0];
    }

    @Override
    public void close() {
      if (session != null) {
        session.close();
      }
      g.close();
    }
  }

  @Test
  void meanStreamsOverBatchesOfDifferentSizes() {
    try (Rig rig = new Rig()) {
      Metric mean = StreamingMetrics.mean(rig.x).build();
      assertThat(rig.value(mean)).isZero(); // 0/0 is 0, not NaN
      assertThat(rig.run(mean.update(), new float[] {1, 2, 3}, null, null, null)).containsExactly(2.0);
      // (1 + 2 + 3 + 4) / 4, not the mean of the batch means (2 and 4)
      assertThat(rig.run(mean.update(), new float[] {4}, null, null, null)).containsExactly(2.5);
      assertThat(rig.value(mean)).isEqualTo(2.5);
    }
  }

  @Test
  void weightedMeanDividesByTheSumOfWeights() {
    try (Rig rig = new Rig()) {
      Metric mean = StreamingMetrics.mean(rig.x).weights(rig.w).build();
      // (1*1 + 2*0 + 3*3) / (1 + 0 + 3)
      assertThat(rig.run(mean.update(), new float[] {1, 2, 3}, new float[] {1, 0, 3}, null, null))
          .containsExactly(2.5);
      // all weights zero: nothing is added, the value stays
      assertThat(rig.run(mean.update(), new float[] {100}, new float[] {0}, null, null))
          .containsExactly(2.5);
    }
  }

  @Test
  void accuracyCountsEqualPredictionsWithWeights() {
    try (Rig rig = new Rig()) {
      Metric plain = StreamingMetrics.accuracy(rig.labels, rig.predictions).build();
      Metric weighted = StreamingMetrics.accuracy(rig.labels, rig.predictions).weights(rig.w).build();
      long[] labels = {0, 1, 2, 2};
      long[] predicted = {0, 1, 1, 2};
      assertThat(rig.run(plain.update(), null, null, labels, predicted)).containsExactly(0.75);
      // correct: weights 1, 1, 0 (the last); wrong: weight 2 -> 2 / 4
      assertThat(rig.run(weighted.update(), null, new float[] {1, 1, 2, 0}, labels, predicted))
          .containsExactly(0.5);
    }
  }

  @Test
  void precisionAndRecallCountTruePositivesAndAreZeroWithoutDenominator() {
    try (Rig rig = new Rig()) {
      Metric precision = StreamingMetrics.precision(rig.labels, rig.predictions).build();
      Metric recall = StreamingMetrics.recall(rig.labels, rig.predictions).build();
      assertThat(rig.value(precision)).isZero();
      assertThat(rig.value(recall)).isZero();
      // tp = 2 (examples 0 and 3), fp = 1 (example 1), fn = 1 (example 2)
      long[] labels = {1, 0, 1, 1, 0};
      long[] predicted = {1, 1, 0, 1, 0};
      assertThat(rig.run(precision.update(), null, null, labels, predicted))
          .containsExactly((double) (2f / 3f));
      assertThat(rig.run(recall.update(), null, null, labels, predicted))
          .containsExactly((double) (2f / 3f));
      // any non-zero value is "true": class 7 is a positive prediction and label
      assertThat(rig.run(precision.update(), null, null, new long[] {7}, new long[] {7}))
          .containsExactly(0.75);
    }
  }

  @Test
  void rocAucOfAPerfectRankingIsOneUpToTfsSmoothing() {
    try (Rig rig = new Rig()) {
      Metric auc = StreamingMetrics.auc(rig.labels, rig.x).numThresholds(3).build();
      // thresholds -1e-7, 0.5, 1+1e-7; counts (tp, fp, fn, tn): (2,2,0,0), (2,0,0,2), (0,0,2,2)
      double e = 1e-6;
      double expected =
          trapezoids(new double[] {2 / (2 + e), 0, 0}, new double[] {1, 1, e / (2 + e)});
      double[] got = rig.run(auc.update(), new float[] {0.9f, 0.8f, 0.2f, 0.1f}, null, new long[] {1, 1, 0, 0}, null);
      assertThat(got[0]).isCloseTo(expected, within(1e-7)).isCloseTo(1.0, within(1e-6));
    }
  }

  @Test
  void rocAucOfAHalfRightRankingIsAHalf() {
    try (Rig rig = new Rig()) {
      Metric auc = StreamingMetrics.auc(rig.labels, rig.x).numThresholds(3).build();
      // at 0.5: 0.9 (positive) and 0.8 (negative) are predicted positive: tp 1, fp 1, fn 1, tn 1
      double e = 1e-6;
      double expected =
          trapezoids(
              new double[] {2 / (2 + e), 1 / (2 + e), 0}, new double[] {1, (1 + e) / (2 + e), e / (2 + e)});
      double[] got = rig.run(auc.update(), new float[] {0.9f, 0.8f, 0.3f, 0.1f}, null, new long[] {1, 0, 1, 0}, null);
      assertThat(got[0]).isCloseTo(expected, within(1e-7)).isCloseTo(0.5, within(1e-6));
    }
  }

  /** The area under the points (fpr[i], tpr[i]), fpr falling, as TF's trapezoidal sum. */
  private static double trapezoids(double[] fpr, double[] tpr) {
    double area = 0;
    for (int i = 0; i + 1 < fpr.length; i++) {
      area += (fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2;
    }
    return area;
  }

  @Test
  void prAucWithCarefulInterpolationIsExactlyOneForAPerfectRanking() {
    try (Rig rig = new Rig()) {
      Metric auc =
          StreamingMetrics.auc(rig.labels, rig.x)
              .numThresholds(3)
              .curve(AucBuilder.Curve.PR)
              .summation(AucBuilder.Summation.CAREFUL_INTERPOLATION)
              .build();
      // tp (2,2,0), p = tp+fp (4,2,0): slopes (0, 1), intercepts (2, 0), increments (0, 2/2)
      assertThat(rig.run(auc.update(), new float[] {0.9f, 0.8f, 0.2f, 0.1f}, null, new long[] {1, 1, 0, 0}, null))
          .containsExactly(1.0);
    }
  }

  @Test
  void meanSquaredErrorIsThePerElementMean() {
    try (Rig rig = new Rig()) {
      Operand<TFloat32> labels = rig.tf.constant(new float[] {1, 2, 3});
      Metric mse = StreamingMetrics.meanSquaredError(labels, rig.x).build();
      // (0 + 4 + 9) / 3
      assertThat(rig.run(mse.update(), new float[] {1, 0, 6}, null, null, null))
          .containsExactly((double) (13f / 3f));
    }
  }

  @Test
  void confusionMatrixAccumulatesRowsOfLabelsAndColumnsOfPredictions() {
    try (Rig rig = new Rig()) {
      Metric cm = StreamingMetrics.confusionMatrix(rig.labels, rig.predictions, 3).build();
      assertThat(cm.value().shape()).isEqualTo(Shape.of(3, 3));
      assertThat(rig.run(cm.update(), null, null, new long[] {0, 1, 2, 2, 1}, new long[] {0, 2, 2, 1, 1}))
          .containsExactly(1, 0, 0, 0, 1, 1, 0, 1, 1);
      rig.run(cm.update(), null, null, new long[] {0, 0}, new long[] {2, 2});
      try (RunResult r = rig.session().runner().fetch(cm.value()).run()) {
        MetricValue v = MetricValue.of(r.get(0));
        assertThat(v.shape()).containsExactly(3, 3);
        assertThat(v.values()).containsExactly(1, 0, 2, 0, 1, 1, 0, 1, 1);
        assertThatThrownBy(v::scalar).isInstanceOf(IllegalStateException.class).hasMessageContaining("[3, 3]");
      }
    }
  }

  @Test
  void metricVariablesAreLocalMetricVariablesNamedLikePythons() {
    try (Rig rig = new Rig()) {
      Metric first = StreamingMetrics.accuracy(rig.labels, rig.predictions).build();
      Metric second = StreamingMetrics.accuracy(rig.labels, rig.predictions).build();
      Metric named = StreamingMetrics.precision(rig.labels, rig.predictions).name("eval_precision").build();
      assertThat(first.name()).isEqualTo("accuracy");
      assertThat(second.name()).isEqualTo("accuracy_1");
      assertThat(named.name()).isEqualTo("eval_precision");
      assertThat(first.variables()).extracting(GraphVariable::name).containsExactly("accuracy/total", "accuracy/count");
      assertThat(named.variables())
          .extracting(GraphVariable::name)
          .containsExactly("eval_precision/true_positives/count", "eval_precision/false_positives/count");
      GraphVariable total = first.variables().get(0);
      assertThat(total.initializer().name()).isEqualTo("accuracy/total/Assign");
      assertThat(total.snapshot().op().name()).isEqualTo("accuracy/total/read");
      assertThat(total.trainable()).isFalse();
      assertThat(first.value().op().name()).isEqualTo("accuracy/value");
      assertThat(first.update().op().name()).isEqualTo("accuracy/update_op");

      GraphCollections c = GraphCollections.of(rig.g);
      List<GraphVariable> all = new ArrayList<>(first.variables());
      all.addAll(second.variables());
      all.addAll(named.variables());
      assertThat(c.variables(CollectionKeys.LOCAL_VARIABLES)).containsExactlyElementsOf(all);
      assertThat(c.variables(CollectionKeys.METRIC_VARIABLES)).containsExactlyElementsOf(all);
      assertThat(c.variables(CollectionKeys.GLOBAL_VARIABLES)).isEmpty();
      assertThat(c.toCollectionDefs().get(CollectionKeys.METRIC_VARIABLES).getBytesList().getValueCount())
          .isEqualTo(6);
      // an optimizer never trains them
      assertThat(TrainOps.trainableVariables(rig.g)).isEmpty();
    }
  }

  @Test
  void groupUpdatesReadsAndResetsItsMetrics() {
    try (Rig rig = new Rig()) {
      Metric accuracy = StreamingMetrics.accuracy(rig.labels, rig.predictions).build();
      Metric cm = StreamingMetrics.confusionMatrix(rig.labels, rig.predictions, 2).build();
      MetricGroup group = MetricGroup.of(accuracy, cm);
      assertThat(group.values().keySet()).containsExactly("accuracy", "confusion_matrix");
      assertThat(group.variables()).hasSize(3);
      try (Tensor l = TInt64.vectorOf(1, 0, 1); Tensor p = TInt64.vectorOf(1, 1, 1)) {
        rig.session().runner().feed(rig.labels, l).feed(rig.predictions, p).addTarget(group.updateOp()).run().close();
      }
      Map<String, MetricValue> values = group.read(rig.session());
      assertThat(values.get("accuracy").scalar()).isEqualTo((double) (2f / 3f));
      assertThat(values.get("confusion_matrix").values()).containsExactly(0, 1, 0, 2);
      rig.session().runner().addTarget(group.resetOp()).run().close();
      Map<String, MetricValue> reset = group.read(rig.session());
      assertThat(reset.get("accuracy")).isEqualTo(MetricValue.scalar(0));
      assertThat(reset.get("confusion_matrix").values()).containsExactly(0, 0, 0, 0);
    }
  }

  @Test
  void groupRejectsDuplicateNamesAndEmptyLists() {
    try (Rig rig = new Rig()) {
      Metric a = StreamingMetrics.mean(rig.x).build();
      assertThatThrownBy(() -> MetricGroup.of(a, a))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("two metrics of the group are named 'mean'");
      assertThatThrownBy(() -> MetricGroup.of(List.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("at least one metric");
      try (Graph other = new Graph()) {
        Metric b = StreamingMetrics.mean(Ops.create(other).constant(1f)).name("other").build();
        assertThatThrownBy(() -> MetricGroup.of(a, b))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("metric 'other' belongs to another graph than 'mean'");
        Operand<TFloat32> foreign = Ops.create(other).withName("foreign").constant(new float[] {1f});
        assertThatThrownBy(() -> StreamingMetrics.mean(rig.x).weights(foreign).build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("mean: weights 'foreign' belong to another graph");
        assertThatThrownBy(() -> StreamingMetrics.auc(foreign, rig.x))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("labels 'foreign' and predictions 'x' belong to different graphs");
      }
    }
  }

  @Test
  void badInputsAreRejectedAtBuildTimeNamingTheValue() {
    try (Rig rig = new Rig()) {
      Placeholder<TFloat32> unknownRank = rig.tf.withName("free").placeholder(TFloat32.class);
      assertThatThrownBy(() -> StreamingMetrics.accuracy(rig.labels, unknownRank).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("accuracy: the rank of predictions 'free' is unknown");
      assertThatThrownBy(() -> StreamingMetrics.mean(unknownRank).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mean: the rank of values 'free' is unknown");
      Operand<TFloat32> matrix = rig.tf.constant(new float[][] {{1, 2}, {3, 4}});
      assertThatThrownBy(() -> StreamingMetrics.meanSquaredError(rig.x, matrix).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("mean_squared_error: predictions of shape [2, 2] do not match labels of shape [-1]");
      assertThatThrownBy(() -> StreamingMetrics.meanSquaredError(rig.labels, rig.x).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("labels are DT_INT64 but predictions are DT_FLOAT");
      assertThatThrownBy(() -> StreamingMetrics.mean(rig.x).name("bad name").build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("but got 'bad name'");
      assertThatThrownBy(() -> StreamingMetrics.auc(rig.labels, rig.x).numThresholds(1).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("AUC 'auc': numThresholds must be at least 2, but got 1");
      assertThatThrownBy(() -> StreamingMetrics.auc(rig.labels, rig.x).numThresholds(10).thresholds(0.5f).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("AUC 'auc': set numThresholds (10) or thresholds [0.5], not both");
      assertThatThrownBy(() -> StreamingMetrics.confusionMatrix(rig.labels, rig.predictions, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("confusion matrix: numClasses must be at least 1, but got 0");
      Operand<TFloat32> pairWeights = rig.tf.constant(new float[] {1, 2});
      Operand<TFloat32> three = rig.tf.constant(new float[] {1, 2, 3});
      assertThatThrownBy(() -> StreamingMetrics.mean(three).weights(pairWeights).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mean: weights of shape [2] cannot be broadcast to values of shape [3]");
    }
  }

  @Test
  void outOfRangeInputsFailTheRunWithInvalidArgument() {
    try (Rig rig = new Rig()) {
      Metric auc = StreamingMetrics.auc(rig.labels, rig.x).build();
      Metric cm = StreamingMetrics.confusionMatrix(rig.labels, rig.predictions, 2).build();
      assertThatThrownBy(() -> rig.run(auc.update(), new float[] {0.5f, 1.5f}, null, new long[] {0, 1}, null))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("auc: every prediction must lie in [0, 1]");
      assertThatThrownBy(() -> rig.run(cm.update(), null, null, new long[] {0, 2}, new long[] {0, 1}))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("confusion_matrix: every class in labels must be in [0, 2)");
      // nothing was added by the failed runs
      assertThat(rig.value(auc)).isZero();
      assertThat(rig.run(cm.value(), null, null, null, null)).containsOnly(0);
    }
  }

  @Test
  void aFinalizedGraphTakesNoNewMetric() {
    try (Rig rig = new Rig()) {
      GraphFinalization.finalizeGraph(rig.g);
      assertThatThrownBy(() -> StreamingMetrics.mean(rig.x).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot add metric 'mean'");
    }
  }
}

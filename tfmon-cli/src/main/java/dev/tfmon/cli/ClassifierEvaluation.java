package dev.tfmon.cli;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.VariableInfo;
import dev.tfmon.eval.EvalGraph;
import dev.tfmon.eval.EvalModel;
import dev.tfmon.eval.metrics.MetricGroup;
import dev.tfmon.eval.metrics.StreamingMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The built-in classifier's evaluation graph for {@link dev.tfmon.eval.Evaluation}: the held-out
 * rows through a tf.data pipeline in batches (it ends with OUT_OF_RANGE), the model's layers with
 * the training graph's variable names, and two streaming metrics: {@code accuracy} and {@code
 * loss} (the mean softmax cross-entropy per example).
 *
 * <pre>{@code
 * EvalModel model = new ClassifierEvaluation(List.of(2, 64, 64, 3), split.eval());
 * EvalModel fromCheckpoint = ClassifierEvaluation.fromCheckpoint("runs/default/model.ckpt-2000", rows);
 * }</pre>
 *
 * @param layerSizes input width, hidden widths, number of classes
 * @param rows the evaluation examples
 */
record ClassifierEvaluation(List<Integer> layerSizes, Dataset rows) implements EvalModel {
  private static final int BATCH = 256;

  ClassifierEvaluation {
    layerSizes = List.copyOf(layerSizes);
  }

  /**
   * The evaluation of the classifier saved in {@code checkpoint} (its layer sizes read from it) on
   * {@code rows}.
   *
   * @throws CliException failure naming the checkpoint if it holds no built-in classifier, or one
   *     of other features or classes than {@code rows}
   */
  static ClassifierEvaluation fromCheckpoint(String checkpoint, Dataset rows) {
    List<Integer> sizes = layerSizes(checkpoint);
    if (sizes.get(0) != rows.numFeatures()) {
      throw CliException.failure(checkpoint + " is a model of " + sizes.get(0) + " features, but " + rows.name() + " has "
          + rows.numFeatures() + " (" + String.join(", ", rows.featureNames()) + ")");
    }
    int classes = sizes.get(sizes.size() - 1);
    if (classes != rows.classNames().size()) {
      throw CliException.failure(checkpoint + " is a model of " + classes + " classes, but " + rows.name()
          + " has " + rows.classNames().size());
    }
    return new ClassifierEvaluation(sizes, rows);
  }

  /**
   * The layer sizes of the built-in classifier saved in {@code checkpoint}, read from its kernels'
   * shapes ({@code dense_0_kernel} [2, 64], ..., {@code logits_kernel} [64, 3]).
   *
   * @throws CliException failure naming the checkpoint if it holds no built-in classifier
   */
  private static List<Integer> layerSizes(String checkpoint) {
    try (CheckpointReader reader = CheckpointReader.open(checkpoint)) {
      Map<String, VariableInfo> vars = reader.variables();
      List<Integer> sizes = new ArrayList<>();
      for (int i = 0; ; i++) {
        VariableInfo k = vars.get("dense_" + i + "_kernel");
        if (k == null) {
          VariableInfo logits = vars.get("logits_kernel");
          if (logits == null || logits.shape().numDimensions() != 2) {
            throw CliException.failure(checkpoint + " holds no model of tfmon train's built-in classifier (no logits_kernel);"
                + " tfmon evaluate evaluates that model only");
          }
          if (i == 0) {
            sizes.add((int) logits.shape().size(0));
          }
          sizes.add((int) logits.shape().size(1));
          return sizes;
        }
        if (i == 0) {
          sizes.add((int) k.shape().size(0));
        }
        sizes.add((int) k.shape().size(1));
      }
    }
  }

  @Override
  public EvalGraph build(Graph graph) {
    Ops tf = Ops.create(graph);
    ExampleBatches input = ExampleBatches.build(graph, tf.withSubScope("eval_input"), rows, BATCH, null, null);
    Operand<TFloat32> x = input.x();
    Operand<TInt32> y = input.y();

    List<Variable<TFloat32>> kernels = new ArrayList<>();
    List<Variable<TFloat32>> biases = new ArrayList<>();
    int layers = layerSizes.size() - 1;
    for (int i = 0; i < layers; i++) {
      String name = ClassifierGraph.layerName(i, layers);
      // restored from the checkpoint: no initial value is ever used
      kernels.add(tf.withName(name + "_kernel").variable(Shape.of(layerSizes.get(i), layerSizes.get(i + 1)), TFloat32.class));
      biases.add(tf.withName(name + "_bias").variable(Shape.of(layerSizes.get(i + 1)), TFloat32.class));
    }
    Ops e = tf.withSubScope("eval");
    Operand<TFloat32> logits = ClassifierGraph.forward(e, x, kernels, biases);
    int classes = layerSizes.get(layers);
    Operand<TFloat32> exampleLoss = e.nn.softmaxCrossEntropyWithLogits(
        logits, e.oneHot(y, e.constant(classes), e.constant(1f), e.constant(0f))).loss();
    Operand<TInt32> predicted = e.math.argMax(logits, e.constant(1), TInt32.class);
    MetricGroup metrics = MetricGroup.of(
        StreamingMetrics.accuracy(y, predicted).build(),
        StreamingMetrics.mean(exampleLoss).name("loss").build());
    return EvalGraph.of(metrics, input.init());
  }
}

/**
 * Streaming evaluation metrics as graph ops, with TF 1.x's {@code tf.compat.v1.metrics} semantics:
 * mean, accuracy, precision, recall, AUC (ROC or PR, thresholded), mean squared error and a
 * confusion matrix, optionally weighted. Each {@link dev.tfmon.eval.metrics.Metric} owns local
 * variables (collections {@code local_variables} and {@code metric_variables}: the Scaffold's local
 * init op resets them, savers skip them), an update tensor to run once per batch and a value tensor
 * to read at the end. {@link dev.tfmon.eval.metrics.MetricGroup} runs several at once.
 *
 * <pre>{@code
 * Ops tf = Ops.create(graph);
 * Operand<TInt64> predicted = tf.math.argMax(logits, tf.constant(1), TInt64.class);
 * Operand<TFloat32> positive = ...;   // probability of class 1, in [0, 1]
 * MetricGroup metrics = MetricGroup.of(
 *     StreamingMetrics.accuracy(labels, predicted).build(),
 *     StreamingMetrics.auc(isClassOne, positive).build(),
 *     StreamingMetrics.mean(loss).name("loss").build(),
 *     StreamingMetrics.confusionMatrix(labels, predicted, 3).build());
 *
 * try (NativeSession session = NativeSession.open(graph)) {
 *   session.runner().addTarget(metrics.resetOp()).run().close();   // or the local init op
 *   // once per batch, until the input ends (OutOfRangeException):
 *   session.runner().addTarget(metrics.updateOp()).run().close();
 *   Map<String, MetricValue> values = metrics.read(session);
 *   double accuracy = values.get("accuracy").scalar();
 * }
 * }</pre>
 *
 * <p>Values equal Python TensorFlow's to the last bit on the fixtures in {@code
 * src/test/resources/issue12}. tensorflow-framework's Keras-style metrics are not used: they follow
 * Keras 2 formulas (AUC without TF 1.x's smoothing, precision thresholded at 0.5, mean squared
 * error averaged per example), count a batch by its static size (a batch of unknown size counts
 * -1) and register their variables as global initializers, not local variables.
 */
package dev.tfmon.eval.metrics;

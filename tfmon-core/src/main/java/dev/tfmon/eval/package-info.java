/**
 * Evaluation while training, TF 1.x's {@code tf.contrib.training} evaluation loop and Estimator's
 * {@code train_and_evaluate} with what Keras and Lightning add: {@link dev.tfmon.eval.Evaluation}
 * ({@code once}: restore one checkpoint into a fresh eval graph, run the streaming metrics of
 * {@code eval.metrics} over the eval input, write summaries into {@code <model_dir>/eval/} at the
 * checkpoint's step; {@code repeatedly}: the sidecar over a {@link
 * dev.tfmon.eval.CheckpointsIterator}), {@link dev.tfmon.eval.EvaluationHook} (in the training
 * process every N steps or seconds), {@link dev.tfmon.eval.BestCheckpoints} (the K best in {@code
 * best/}), {@link dev.tfmon.eval.EarlyStoppingHook} and, for clusters, {@link
 * dev.tfmon.eval.StopFlag} with {@link dev.tfmon.eval.StopFlagHook}. Every evaluation is a line of
 * the {@link dev.tfmon.eval.EvaluationLedger}, from which best-K and early stopping rebuild their
 * state after a restart.
 *
 * <pre>{@code
 * Path modelDir = Path.of("runs/spirals");
 * EvalModel model = graph -> EvalGraph.of(buildMetrics(graph), iteratorInit);   // same variable names as training
 * MetricGoal loss = MetricGoal.min("loss");
 * EarlyStoppingHook stop = EarlyStoppingHook.builder(loss).patience(5)
 *     .ledger(EvaluationLedger.forModelDir(modelDir, "")).build();
 * Evaluation evaluation = Evaluation.builder(modelDir, model)
 *     .listener(BestCheckpoints.builder(modelDir).keep(3).goal(loss).build())
 *     .listener(stop)
 *     .build();
 * try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
 *     .checkpointDir(modelDir).scaffold(scaffold).saveCheckpointSteps(500)
 *     .hook(EvaluationHook.builder(evaluation).everySteps(500).scaffold(scaffold).build())
 *     .hook(stop)
 *     .build()) {
 *   session.runUntilStopped(s -> s.run(train));
 * }
 *
 * // or beside training, in another process (a cluster's evaluator task):
 * evaluation.repeatedly(Duration.ofMinutes(30));   // every new checkpoint until the run ends
 * }</pre>
 */
package dev.tfmon.eval;

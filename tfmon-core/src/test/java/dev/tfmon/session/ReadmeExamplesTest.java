package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.cluster.SyncReplicas;
import dev.tfmon.eval.EvalGraph;
import dev.tfmon.eval.EvalModel;
import dev.tfmon.eval.EvalResult;
import dev.tfmon.eval.Evaluation;
import dev.tfmon.eval.EvaluationLedger;
import dev.tfmon.eval.MetricGoal;
import dev.tfmon.export.BestExporter;
import dev.tfmon.export.CheckpointExporter;
import dev.tfmon.export.ExportDirectory;
import dev.tfmon.export.ExportOnImprovement;
import dev.tfmon.export.ExportResult;
import dev.tfmon.export.ExportSignature;
import dev.tfmon.export.LatestExporter;
import dev.tfmon.export.SavedModelExporter;
import dev.tfmon.errors.AbortedException;
import dev.tfmon.errors.UnavailableException;
import dev.tfmon.eval.metrics.AucBuilder;
import dev.tfmon.eval.metrics.MetricGroup;
import dev.tfmon.eval.metrics.MetricValue;
import dev.tfmon.eval.metrics.StreamingMetrics;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.Hooks;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.schedule.LearningRateSchedule;
import dev.tfmon.testing.RepoFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Momentum;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.types.TInt64;

/**
 * Every Java block of the README, and the cluster package's example, is compiled code that runs:
 * the text between a pair of {@code // README: <name> begin/end} markers in this class, in the
 * user project of {@code tfmon-it} (its {@code Train.java}, shown whole and in part, and its
 * {@code pom.xml}, the README's XML block), or in {@code WorkerProgramExample}. The tests here run
 * the blocks of this class; {@code tfmon-it} builds and runs its project against the installed
 * jar; and {@link #everyCodeBlockOfTheReadmeIsCompiledCode()} fails when the README shows a Java or
 * XML block that is none of them, or one of them differently (issue 17).
 */
class ReadmeExamplesTest {
  private final List<String> printed = new ArrayList<>();

  @Test
  void typedReadsFeedingStepsAndHooks() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
      Operand<TFloat32> loss = tf.math.square(tf.math.sub(tf.math.mul(x, w), tf.constant(6f)));
      Operation train = TrainOps.minimize(new GradientDescent(graph, 0.05f), loss, "train_op");
      List<String> lines = printedBy(() -> {
        // README: typed-reads begin
        Output<TInt64> step = GlobalStep.readTensor(graph);
        SessionRunHook printLoss = Hooks.fetching("print loss", SessionRunArgs.fetch(loss, step),
            (ctx, values) -> System.out.printf("step %d loss %.4f%n", values.getLong(step), values.getFloat(loss)));
        try (MonitoredSession session = MonitoredSession.builder(graph).hook(printLoss).build();
             TFloat32 batch = TFloat32.scalarOf(2f)) {
          // a fed training step: nothing is fetched, so there is no result to close
          session.runTargets(SessionRunArgs.builder().feed(x, batch).target(train).build());
          try (RunResult r = session.runner().feed(x, batch).fetch(loss).fetch(step).run()) {
            float lossValue = r.getFloat(loss);                 // float32 scalar; getDouble, getInt, getLong too
            long stepValue = r.getLong(step);                   // int64 (or int32) scalar
            TFloat32 lossTensor = r.get(loss);                  // the tensor, typed as the operand, owned by r
        // README: typed-reads end
            printed.add(lossValue + " " + stepValue + " " + lossTensor.getFloat());
          }
        }
      });
      // w = 0 at first: loss (2*0-6)^2 = 36; one step w += 0.05 * 2*6*2 = 1.2: (2.4-6)^2 = 12.96.
      assertThat(lines).containsExactly("step 0 loss 36.0000", "step 1 loss 12.9600");
      assertThat(printed).containsExactly("12.959999 1 12.959999");
    }
  }

  @Test
  void theRawLayer() {
    List<String> lines = printedBy(() -> {
      // README: raw-layer begin
try (Graph graph = new Graph()) {
  Ops tf = Ops.create(graph);
  Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
  Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
  Operand<TFloat32> loss = tf.math.square(tf.math.sub(tf.math.mul(x, w), tf.constant(6f)));
  Operation train = TrainOps.minimize(new GradientDescent(graph, 0.05f), loss, "train_op");

  try (NativeSession session = NativeSession.open(graph);   // or open(graph, "grpc://host:port", config)
       TFloat32 two = TFloat32.scalarOf(2f)) {
    session.runner().addTargets(NativeSession.graphInitializers(graph)).runTargets();
    for (int i = 0; i < 100; i++) {
      try (RunResult r = session.runner().feed(x, two).fetch(loss).addTarget(train).run()) {
        System.out.println(r.getFloat(loss));            // typed reads by operand: getFloat, getLong, get(...)
      }
    }
    System.out.println("global step " + GlobalStep.value(session));
  } catch (AbortedException | UnavailableException preempted) {
    // TensorFlow's exact status code survives: a cluster task went away
  }
}
      // README: raw-layer end
    });
    assertThat(lines).hasSize(101).startsWith("36.0", "12.959999");
    assertThat(lines.get(100)).isEqualTo("global step 100");
  }

  // issue 12: the README's learning-rate schedule and streaming metrics, on a logistic regression
  @Test
  void scheduleAndStreamingMetrics() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2)));
      Placeholder<TInt64> labels = tf.withName("labels").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
      Variable<TFloat32> weights = tf.withName("weights").variable(tf.constant(new float[][] {{0f}, {0f}}));
      Variable<TFloat32> bias = tf.withName("bias").variable(tf.constant(0f));
      Operand<TFloat32> logits =
          tf.reshape(tf.math.add(tf.linalg.matMul(x, weights), bias), tf.constant(new long[] {-1}));
      Operand<TFloat32> probability = tf.math.sigmoid(logits);
      Operand<TInt64> predicted = tf.dtypes.cast(tf.math.greater(probability, tf.constant(0.5f)), TInt64.class);
      // log(1 + e^z) - y z: the cross entropy of a sigmoid, per example
      Operand<TFloat32> exampleLoss =
          tf.math.sub(tf.math.softplus(logits), tf.math.mul(tf.dtypes.cast(labels, TFloat32.class), logits));
      Operand<TFloat32> loss = tf.math.mean(exampleLoss, tf.constant(0));

      // README: metrics-and-schedules begin
      Operand<TFloat32> lr = LearningRateSchedule.cosineDecay(0.5, 200, 0.0)
          .withLinearWarmup(20)
          .learningRate(graph);                       // over the global step; summary 'learning_rate'
      Operation train = TrainOps.minimize(new Momentum(graph, 0f, 0.9f), lr, loss, "train_op");

      MetricGroup metrics = MetricGroup.of(
          StreamingMetrics.accuracy(labels, predicted).build(),
          StreamingMetrics.auc(labels, probability).build(),
          StreamingMetrics.auc(labels, probability).curve(AucBuilder.Curve.PR)
              .summation(AucBuilder.Summation.CAREFUL_INTERPOLATION).name("pr_auc").build(),
          StreamingMetrics.precision(labels, predicted).build(),
          StreamingMetrics.recall(labels, predicted).build(),
          StreamingMetrics.mean(exampleLoss).name("loss_mean").build(),
          StreamingMetrics.confusionMatrix(labels, predicted, 2).build());
      // per eval batch: run metrics.updateOp(); at the end: metrics.read(session); reset: metrics.resetOp()
      // README: metrics-and-schedules end

      float[][] points = new float[400][2];
      long[] classes = new long[400];
      Random random = new Random(17);
      for (int i = 0; i < points.length; i++) {
        points[i][0] = (float) random.nextGaussian();
        points[i][1] = (float) random.nextGaussian();
        classes[i] = points[i][0] + 0.5 * points[i][1] + 0.5 * random.nextGaussian() > 0 ? 1 : 0;
      }
      Scaffold scaffold = Scaffold.of(graph).finalizeScaffold();
      try (NativeSession session = NativeSession.open(graph);
           TFloat32 xs = TFloat32.tensorOf(StdArrays.ndCopyOf(points));
           TInt64 ys = TInt64.vectorOf(classes)) {
        session.runner().addTarget(scaffold.initOp()).addTarget(scaffold.localInitOp()).runTargets();
        float firstRate;
        try (RunResult r = session.runner().fetch(lr).run()) {
          firstRate = r.getFloat(lr);
        }
        for (int step = 0; step < 200; step++) {
          session.runner().feed(x, xs).feed(labels, ys).addTarget(train).runTargets();
        }
        List<Map<String, MetricValue>> evaluations = new ArrayList<>();
        for (int evaluation = 0; evaluation < 2; evaluation++) {
          session.runner().addTarget(metrics.resetOp()).runTargets();
          for (int batch = 0; batch < 4; batch++) {
            try (TFloat32 bx = TFloat32.tensorOf(StdArrays.ndCopyOf(java.util.Arrays.copyOfRange(points, 100 * batch, 100 * batch + 100)));
                 TInt64 by = TInt64.vectorOf(java.util.Arrays.copyOfRange(classes, 100 * batch, 100 * batch + 100))) {
              session.runner().feed(x, bx).feed(labels, by).addTarget(metrics.updateOp()).runTargets();
            }
          }
          evaluations.add(new LinkedHashMap<>(metrics.read(session)));
        }
        assertThat(firstRate).as("the warm-up starts at 0").isZero();
        assertThat(GlobalStep.value(session)).isEqualTo(200);
        assertThat(evaluations.get(0).keySet()).containsExactly(
            "accuracy", "auc", "pr_auc", "precision", "recall", "loss_mean", "confusion_matrix");
        assertThat(evaluations.get(1)).as("a reset evaluation repeats").isEqualTo(evaluations.get(0));
        assertThat(evaluations.get(0).get("accuracy").scalar()).isGreaterThan(0.8);
        assertThat(evaluations.get(0).get("auc").scalar()).isGreaterThan(0.85);
        assertThat(java.util.Arrays.stream(evaluations.get(0).get("confusion_matrix").values()).sum()).isEqualTo(400.0);
      } finally {
        GraphFinalization.unfinalize(graph);
      }
    }
  }

  // issue 17: the README's GPU settings are a ConfigProto that tfmon hands to TensorFlow as it is;
  // without a GPU they change nothing, and the session trains
  @Test
  void gpuOptionsPassThroughTheSession(@TempDir Path dir) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
      Operand<TFloat32> loss = tf.math.square(tf.math.sub(w, tf.constant(3f)));
      Operation train = TrainOps.minimize(new GradientDescent(graph, 0.1f), loss, "train_op");
      // README: gpu-config begin
      ConfigProto config = ConfigProto.newBuilder()
          .setGpuOptions(GPUOptions.newBuilder().setAllowGrowth(true))  // take GPU memory as needed
          .setAllowSoftPlacement(true)                                  // an op with no GPU kernel runs on the CPU
          .build();                          // on a cluster: placement.sessionConfig(task).toBuilder()...
      try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
              .checkpointDir(dir).config(config).hook(StopAtStepHook.lastStep(1_000)).build()) {
        session.runUntilStopped(s -> s.run(train));
      }
      // README: gpu-config end
    }
    assertThat(Checkpoints.latestCheckpoint(dir)).hasValue(dir.resolve("model.ckpt-1000").toString());
  }

  // issue 13 / issue 17: the README's export example trains, exports after every checkpoint and
  // when the metric improves, exports a checkpoint afterwards, and the export loads in TF Java
  @Test
  void exportWhileTrainingThenLoadTheExport(@TempDir Path dir) throws IOException {
    Path modelDir = dir.resolve("runs/mine");
    Path servingDir = dir.resolve("models");
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 3)));
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(new float[][] {{0f}, {0f}, {0f}}));
      Operand<TFloat32> y = tf.withName("y").linalg.matMul(x, w);
      Operand<TFloat32> target = tf.constant(new float[][] {{1f}, {2f}});
      Operand<TFloat32> batch = tf.constant(new float[][] {{1f, 0f, 0f}, {0f, 1f, 1f}});
      Operand<TFloat32> loss = tf.withName("loss").math.mean(
          tf.math.square(tf.math.sub(tf.linalg.matMul(batch, w), target)), tf.constant(new int[] {0, 1}));
      Operation train = TrainOps.minimize(new GradientDescent(graph, 0.1f), loss, "train_op");
      Saver saver = Saver.builder(graph).build();
      try {
        // README: export-train begin
        SavedModelExporter exporter = SavedModelExporter.builder(graph)
            .signature(ExportSignature.builder().input("x", x).output("y", y).build())   // serving_default
            .build();                                  // tags "serve", sharded saver, pruned, verified
        ExportDirectory exports = ExportDirectory.of(servingDir.resolve("mine")).keep(3);
        try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
                .checkpointDir(modelDir).scaffold(Scaffold.builder(graph).saver(saver).build())
                .saveCheckpointSteps(1000).hook(StopAtStepHook.lastStep(5000))
                .checkpointListener(LatestExporter.builder(exporter, exports).build())   // <servingDir>/mine/<step>/
                .checkpointListener(BestExporter.builder(exporter, ExportDirectory.of(servingDir.resolve("best")),
                    (s, step) -> evalLoss(s, loss)).metricName("eval_loss").build())
                .build()) {
          session.runUntilStopped(s -> s.run(train));
        }
        ExportResult r = exporter.exportCheckpoint(modelDir.resolve("model.ckpt-5000").toString(), saver,
            ExportDirectory.of(servingDir.resolve("afterwards")));
        // README: export-train end
        assertThat(r.directory()).isEqualTo(servingDir.resolve("afterwards/5000"));
        EvalModel evalModel = ReadmeExamplesTest::linearEvaluation;
        ExportSignature serving = ExportSignature.builder().input("x", "x").output("y", "y").build();
        // README: export-on-improvement begin
        ExportOnImprovement best = ExportOnImprovement.builder(
                CheckpointExporter.fromMetaGraphs(g -> SavedModelExporter.builder(g).signature(serving).build()),
                ExportDirectory.of(servingDir.resolve("best-eval")).keep(3), MetricGoal.min("loss"))
            .ledger(EvaluationLedger.forModelDir(modelDir, "")).build();
        Evaluation evaluation = Evaluation.builder(modelDir, evalModel).listener(best).build();
        evaluation.repeatedly(Duration.ofMinutes(10));   // a sidecar; or an EvaluationHook while training
        // README: export-on-improvement end
        // issue 13 + issue 12: the last export is the checkpoint of the lowest held-out loss (the first to reach it)
        EvalResult lowest = evaluation.ledger().read().stream()
            .min(java.util.Comparator.comparingDouble((EvalResult e) -> e.scalar("loss")).thenComparingLong(EvalResult::globalStep))
            .orElseThrow();
        assertThat(best.lastResult().orElseThrow().directory())
            .isEqualTo(servingDir.resolve("best-eval/" + lowest.globalStep()));
      } finally {
        GraphFinalization.unfinalize(graph);
      }
    }
    try (java.util.stream.Stream<Path> kept = Files.list(servingDir.resolve("mine"))) {
      assertThat(kept.map(p -> p.getFileName().toString()).sorted())
          .as("the three newest exports, one per checkpoint").containsExactly("3000", "4000", "5000");
    }
    assertThat(Files.isDirectory(servingDir.resolve("best"))).isTrue();
    float[] served = new float[1];
    // README: export-load begin
    try (SavedModelBundle model = SavedModelBundle.load(servingDir.resolve("mine/5000").toString(), "serve");
         TFloat32 rows = TFloat32.tensorOf(StdArrays.ndCopyOf(new float[][] {{0.5f, -1f, 2f}}));
         Result out = model.function("serving_default").call(Map.of("x", rows))) {
      TFloat32 y = (TFloat32) out.get("y").orElseThrow();
      // README: export-load end
      served[0] = y.getFloat(0, 0);
    }
    // w converges to [1, 2 - w2, w2] with w1 = w2 (the minimum-norm solution from zero): [1, 1, 1]
    assertThat(served[0]).isCloseTo(0.5f - 1f + 2f, org.assertj.core.data.Offset.offset(1e-3f));
  }

  /** The README export example's evaluation: the loss of its two rows, read through a finite input. */
  private static EvalGraph linearEvaluation(Graph graph) {
    Ops tf = Ops.create(graph);
    Variable<TFloat32> w = tf.withName("w").variable(Shape.of(3, 1), TFloat32.class);
    List<Class<? extends org.tensorflow.types.family.TType>> types = List.of(TFloat32.class, TFloat32.class);
    List<Shape> shapes = List.of(Shape.of(-1, 3), Shape.of(-1, 1));
    Operand<? extends org.tensorflow.types.family.TType> rows = tf.data.batchDataset(
        tf.data.tensorSliceDataset(List.of(tf.constant(new float[][] {{1f, 0f, 0f}, {0f, 1f, 1f}}),
            tf.constant(new float[][] {{1f}, {2f}})), List.of(Shape.of(3), Shape.of(1))),
        tf.constant(2L), tf.constant(false), types, shapes);
    org.tensorflow.op.data.Iterator it = tf.data.iterator("", "", types, shapes);
    Operation init = tf.data.makeIterator(rows, it).op();
    var next = tf.data.iteratorGetNext(it, types, shapes).components();
    @SuppressWarnings("unchecked")
    Operand<TFloat32> x = (Operand<TFloat32>) next.get(0);
    @SuppressWarnings("unchecked")
    Operand<TFloat32> target = (Operand<TFloat32>) next.get(1);
    Operand<TFloat32> err = tf.math.square(tf.math.sub(tf.linalg.matMul(x, w), target));
    return EvalGraph.of(MetricGroup.of(StreamingMetrics.mean(err).name("loss").build()), init);
  }

  private static double evalLoss(dev.tfmon.runtime.RunnableSession session, Operand<TFloat32> loss) {
    try (RunResult r = session.run(SessionRunArgs.fetch(loss))) {
      return r.getFloat(loss);
    }
  }

  // issue 16 / issue 17: the README's fast step loop: SessionRunArgs built once, scalar reads,
  // the opt-in step fetch of the default hooks
  @Test
  void fastStepLoop(@TempDir Path dir) {
    try (Graph graph = new Graph();
         TFloat32 xs = TFloat32.tensorOf(StdArrays.ndCopyOf(new float[][] {{1f}, {2f}}));
         TFloat32 ys = TFloat32.tensorOf(StdArrays.ndCopyOf(new float[][] {{2f}, {4f}}))) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      Placeholder<TFloat32> y = tf.withName("y").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(new float[][] {{0f}}));
      Operand<TFloat32> loss = tf.withName("loss").math.mean(
          tf.math.square(tf.math.sub(tf.linalg.matMul(x, w), y)), tf.constant(new int[] {0, 1}));
      Operation train = TrainOps.minimize(new GradientDescent(graph, 0.1f), loss, "train_op");
      float[] last = new float[1];
      try {
        // README: fast-step begin
        SessionRunArgs step = SessionRunArgs.builder().feed(x, xs).feed(y, ys).fetch(loss).target(train).build();
        try (MonitoredSession session = MonitoredTrainingSession.builder(graph).checkpointDir(dir)
                 .fetchStepEveryNRuns(100)   // opt-in: default hooks fetch the global step 1 run in 100
                 .hook(StopAtStepHook.lastStep(1000))
                 .build()) {
          while (!session.shouldStop()) {
            try (RunResult r = session.run(step)) {
              float lossValue = r.getFloat(loss);
              // README: fast-step end
              last[0] = lossValue;
            }
          }
        }
      } finally {
        GraphFinalization.unfinalize(graph);
      }
      assertThat(last[0]).as("w converges to 2").isLessThan(1e-6f);
    }
    assertThat(Checkpoints.latestCheckpoint(dir)).hasValue(dir.resolve("model.ckpt-1000").toString());
  }

  /**
   * The README's synchronous-replicas block, compiled here; it needs three workers to make
   * progress, so SyncReplicasTest runs the same calls on a real cluster (issue 14 item 2).
   */
  @SuppressWarnings("unused")
  private static MonitoredSession syncReplicasExcerpt(
      Graph graph, Operand<TFloat32> loss, dev.tfmon.cluster.TaskServer server, boolean chief,
      dev.tfmon.cluster.ReplicaDeviceSetter placement, int task) {
    // README: sync-replicas begin
    SyncReplicas sync = SyncReplicas.wrap(new GradientDescent(graph, 0.1f), 2, 3);  // 2 of 3 replicas
    Operation train = sync.minimize(loss, "train_op");         // push gradients, wait for a token
    MonitoredSession session = MonitoredTrainingSession.builder(graph)
        .master(server.target()).isChief(chief).config(placement.sessionConfig(task))
        .hook(sync.hook(chief))                                  // tokens, local step, the chief's queue runner
        .build();
    // README: sync-replicas end
    return session;
  }

  // issue 17: every Java and XML block of the README is one of the compiled excerpts, as it stands
  @Test
  void everyCodeBlockOfTheReadmeIsCompiledCode() throws IOException {
    Map<String, String> excerpts = excerpts();
    List<String> blocks = fencedBlocks(Files.readString(RepoFiles.find("README.md")), "java|xml");
    assertThat(blocks).as("the README's Java and XML blocks").hasSizeGreaterThanOrEqualTo(excerpts.size() - 1);
    for (String block : blocks) {
      assertThat(excerpts.values().stream().anyMatch(code -> shows(block, code)))
          .as("README block starting '%s' is the text of one of %s", block.lines().findFirst().orElse(""),
              excerpts.keySet())
          .isTrue();
    }
    for (Map.Entry<String, String> e : excerpts.entrySet()) {
      if (!e.getKey().equals("cluster-worker")) {
        assertThat(blocks.stream().anyMatch(block -> shows(block, e.getValue())))
            .as("the README shows excerpt %s", e.getKey()).isTrue();
      }
    }
  }

  // issue 17: the worker program of cluster/package-info.java is WorkerProgramExample's code
  @Test
  void theClusterPackageShowsTheCompiledWorkerProgram() throws IOException {
    String doc = Files.readString(Path.of("src/main/java/dev/tfmon/cluster/package-info.java"));
    Matcher pre = Pattern.compile("<pre>\\{@code\n(.*?)\n \\* }</pre>", Pattern.DOTALL).matcher(doc);
    assertThat(pre.find()).as("package-info has a code block").isTrue();
    String shown = pre.group(1).lines().map(l -> l.startsWith(" * ") ? l.substring(3) : l.replaceFirst("^ \\*$", ""))
        .reduce((a, b) -> a + "\n" + b).orElse("");
    assertThat(shown).isEqualTo(excerpts().get("cluster-worker"));
  }

  /** Name to code: the marked excerpts and the files the README shows whole. */
  private static Map<String, String> excerpts() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    String self = Files.readString(Path.of("src/test/java/dev/tfmon/session/ReadmeExamplesTest.java"));
    for (String name : List.of("typed-reads", "raw-layer", "metrics-and-schedules", "gpu-config", "export-train",
        "export-on-improvement", "export-load", "fast-step", "sync-replicas")) {
      out.put(name, marked(self, name));
    }
    String train = Files.readString(RepoFiles.find("tfmon-it/src/it/use-from-maven/src/main/java/example/Train.java"));
    out.put("training-loop", marked(train, "training-loop"));
    out.put("Train.java", train.lines().filter(l -> !l.contains("// README: ")).reduce((a, b) -> a + "\n" + b).orElse(""));
    out.put("pom.xml", Files.readString(RepoFiles.find("tfmon-it/src/it/use-from-maven/pom.xml")).stripTrailing());
    out.put("cluster-worker", marked(
        Files.readString(Path.of("src/test/java/dev/tfmon/cluster/WorkerProgramExample.java")), "cluster-worker"));
    return out;
  }

  /** The lines between {@code // README: name begin} and its end marker, less their common indent. */
  private static String marked(String source, String name) {
    String begin = "// README: " + name + " begin\n";
    String end = "// README: " + name + " end";
    int from = source.indexOf(begin);
    int to = source.indexOf(end);
    assertThat(from).as("marker " + begin.strip()).isNotNegative();
    assertThat(to).as("marker " + end).isGreaterThan(from);
    String code = source.substring(from + begin.length(), source.lastIndexOf('\n', to));
    List<String> lines = code.lines().toList();
    int indent = lines.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    StringBuilder block = new StringBuilder();
    for (String l : lines) {
      block.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return block.toString().stripTrailing();
  }

  /** The bodies of the fenced blocks of {@code markdown} whose language matches {@code languages}. */
  private static List<String> fencedBlocks(String markdown, String languages) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("^```(" + languages + ")\n(.*?)^```$", Pattern.DOTALL | Pattern.MULTILINE)
        .matcher(markdown);
    while (m.find()) {
      out.add(m.group(2).stripTrailing());
    }
    return out;
  }

  /**
   * Whether a README block shows {@code code}: the same text, or the same text followed by lines
   * that only close the braces an excerpt cut in the middle of a block leaves open.
   */
  private static boolean shows(String block, String code) {
    if (!block.startsWith(code)) {
      return false;
    }
    return block.substring(code.length()).lines().allMatch(l -> l.isBlank() || l.strip().equals("}"));
  }

  /** The lines {@code example} prints to standard output. */
  private static List<String> printedBy(Runnable example) {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      example.run();
    } finally {
      System.setOut(out);
    }
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }
}

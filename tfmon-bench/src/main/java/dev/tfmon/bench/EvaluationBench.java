package dev.tfmon.bench;

import dev.tfmon.eval.EvalGraph;
import dev.tfmon.eval.EvalModel;
import dev.tfmon.eval.Evaluation;
import dev.tfmon.eval.EvaluationHook;
import dev.tfmon.eval.metrics.MetricGroup;
import dev.tfmon.eval.metrics.StreamingMetrics;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.data.Iterator;
import org.tensorflow.op.data.IteratorGetNext;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * The cost of evaluating during training (issue 12) on {@code tfmon train}'s model: a 2-64-64-3
 * ReLU classifier trained with Adam on batches of 64 from a tf.data pipeline over 2400 rows, with
 * 600 held-out rows, through {@code MonitoredTrainingSession} with the CLI's defaults (a
 * checkpoint every 500 steps, summaries every 100). Variants, each its own graph, session and
 * model directory, kept open across rounds:
 *
 * <ul>
 *   <li><b>off</b>: no evaluation;
 *   <li><b>every 500</b>: an {@code EvaluationHook} every 500 steps, on the checkpoints the saver
 *       hook writes anyway (a fresh eval graph and session, a restore, 3 batches of 256 rows);
 *   <li><b>every N</b> (default 100): the same every N steps, saving the checkpoint itself between
 *       the saver hook's.
 * </ul>
 *
 * Rounds of {@code steps} training steps rotate the variants ({@link StepLoops}); a figure is the
 * median over rounds of (variant ÷ off in the same round), in wall time and process CPU time.
 *
 * <p>Usage: {@code EvaluationBench [stepsPerRound=1000] [rounds=7] [everyN=100]}.
 */
public final class EvaluationBench {
  private EvaluationBench() {}

  public static void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    int everyN = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    Path root = Files.createTempDirectory("tfmon-eval-bench");
    long[] every = {0, 500, everyN};
    String[] names = {"off: no evaluation", "evaluation every 500 steps (on the saver hook's checkpoints)",
        "evaluation every " + everyN + " steps (saves its own checkpoints between)"};
    List<Graph> graphs = new ArrayList<>();
    List<MonitoredSession> sessions = new ArrayList<>();
    List<EvaluationHook> hooks = new ArrayList<>();
    try {
      StepLoops.Loop[] loops = new StepLoops.Loop[every.length];
      for (int v = 0; v < every.length; v++) {
        Graph g = new Graph();
        graphs.add(g);
        Path dir = root.resolve("variant" + v);
        Operation train = Spirals.trainingGraph(g);
        Scaffold scaffold = Scaffold.builder(g).localInitOp(g.operation("input/MakeIterator")).build();
        MonitoredTrainingSession.Builder mts = MonitoredTrainingSession.builder(g)
            .checkpointDir(dir).scaffold(scaffold).saveCheckpointSteps(500).saveSummariesSteps(100)
            .hookCostWarningShare(1.0);
        if (every[v] > 0) {
          EvaluationHook hook = EvaluationHook.builder(Evaluation.builder(dir, Spirals.evalModel()).build())
              .everySteps(every[v]).scaffold(scaffold).evaluateAtEnd(false).build();
          hooks.add(hook);
          mts.hook(hook);
        }
        MonitoredSession s = mts.build();
        sessions.add(s);
        loops[v] = n -> {
          for (int i = 0; i < n; i++) {
            s.run(train);
          }
        };
      }
      StepLoops.Timings t = StepLoops.measure(loops, steps, rounds, steps);
      System.out.printf("steps/round=%d rounds=%d everyN=%d%n", steps, rounds, everyN);
      System.out.printf("| variant | wall µs/step (median) | wall vs off (median, min..max) | CPU µs/step (median) | CPU vs off (median) |%n"
          + "|---|---:|---:|---:|---:|%n");
      for (int v = 0; v < loops.length; v++) {
        double[] wall = MetricsBench.ratios(t.wall()[v], t.wall()[0]);
        double[] cpu = MetricsBench.ratios(t.cpu()[v], t.cpu()[0]);
        System.out.printf("| %s | %.1f | %.3f× (%.3f..%.3f) | %.1f | %.3f× |%n", names[v], StepLoops.median(t.wall()[v]),
            StepLoops.median(wall), wall[0], wall[wall.length - 1], StepLoops.median(t.cpu()[v]), StepLoops.median(cpu));
      }
      for (EvaluationHook h : hooks) {
        System.out.printf("check: last evaluation %s%n", h.lastResult().map(r -> "at step " + r.globalStep() + ": " + r.scalars())
            .orElse("none"));
      }
    } finally {
      sessions.forEach(MonitoredSession::close);
      graphs.forEach(Graph::close);
    }
  }

  /** The model and data of {@code tfmon train}, in shape: three Gaussian clouds in 2-D. */
  static final class Spirals {
    private static final int TRAIN = 2400;
    private static final int EVAL = 600;
    private static final float[][] X = new float[TRAIN + EVAL][2];
    private static final int[] Y = new int[TRAIN + EVAL];

    static {
      Random rnd = new Random(42);
      for (int i = 0; i < X.length; i++) {
        Y[i] = i % 3;
        double angle = Y[i] * 2 * Math.PI / 3;
        X[i][0] = (float) (Math.cos(angle) + 0.6 * rnd.nextGaussian());
        X[i][1] = (float) (Math.sin(angle) + 0.6 * rnd.nextGaussian());
      }
    }

    private Spirals() {}

    static Operation trainingGraph(Graph g) {
      Ops tf = Ops.create(g);
      Ops in = tf.withSubScope("input");
      List<Class<? extends TType>> types = List.of(TFloat32.class, TInt32.class);
      Operand<? extends TType> ds = in.data.tensorSliceDataset(
          List.of(in.constant(StdArrays.ndCopyOf(Arrays.copyOfRange(X, 0, TRAIN))), in.constant(Arrays.copyOfRange(Y, 0, TRAIN))),
          List.of(Shape.of(2), Shape.scalar()));
      ds = in.data.repeatDataset(ds, in.constant(-1L), types, List.of(Shape.of(2), Shape.scalar()));
      List<Shape> batched = List.of(Shape.of(-1, 2), Shape.of(-1));
      ds = in.data.batchDataset(ds, in.constant(64L), in.constant(false), types, batched);
      Iterator it = in.data.iterator("", "", types, batched);
      in.withName("MakeIterator").data.makeIterator(ds, it);
      IteratorGetNext next = in.data.iteratorGetNext(it, types, batched);
      Operand<TFloat32> logits = forward(tf, cast(next.components().get(0)), true);
      @SuppressWarnings("unchecked")
      Operand<TInt32> y = (Operand<TInt32>) next.components().get(1);
      Operand<TFloat32> loss = tf.math.mean(tf.nn.softmaxCrossEntropyWithLogits(logits,
          tf.oneHot(y, tf.constant(3), tf.constant(1f), tf.constant(0f))).loss(), tf.constant(0));
      return TrainOps.minimize(new Adam(g, 0.01f), loss, "train_op");
    }

    static EvalModel evalModel() {
      return g -> {
        Ops tf = Ops.create(g);
        Ops in = tf.withSubScope("eval_input");
        List<Class<? extends TType>> types = List.of(TFloat32.class, TInt32.class);
        Operand<? extends TType> ds = in.data.tensorSliceDataset(
            List.of(in.constant(StdArrays.ndCopyOf(Arrays.copyOfRange(X, TRAIN, TRAIN + EVAL))),
                in.constant(Arrays.copyOfRange(Y, TRAIN, TRAIN + EVAL))),
            List.of(Shape.of(2), Shape.scalar()));
        List<Shape> batched = List.of(Shape.of(-1, 2), Shape.of(-1));
        ds = in.data.batchDataset(ds, in.constant(256L), in.constant(false), types, batched);
        Iterator it = in.data.iterator("", "", types, batched);
        Operation init = in.data.makeIterator(ds, it).op();
        IteratorGetNext next = in.data.iteratorGetNext(it, types, batched);
        Operand<TFloat32> logits = forward(tf, cast(next.components().get(0)), false);
        @SuppressWarnings("unchecked")
        Operand<TInt32> y = (Operand<TInt32>) next.components().get(1);
        Operand<TFloat32> exampleLoss = tf.nn.softmaxCrossEntropyWithLogits(logits,
            tf.oneHot(y, tf.constant(3), tf.constant(1f), tf.constant(0f))).loss();
        return EvalGraph.of(MetricGroup.of(
            StreamingMetrics.accuracy(y, tf.math.argMax(logits, tf.constant(1), TInt32.class)).build(),
            StreamingMetrics.mean(exampleLoss).name("loss").build()), init);
      };
    }

    @SuppressWarnings("unchecked")
    private static Operand<TFloat32> cast(Operand<?> x) {
      return (Operand<TFloat32>) x;
    }

    /** 2-64-64-3 with ReLU; the variables start random in training and are restored in evaluation. */
    private static Operand<TFloat32> forward(Ops tf, Operand<TFloat32> x, boolean initialize) {
      int[] sizes = {2, 64, 64, 3};
      Operand<TFloat32> h = x;
      for (int i = 0; i + 1 < sizes.length; i++) {
        Shape k = Shape.of(sizes[i], sizes[i + 1]);
        Variable<TFloat32> w = initialize
            ? tf.withName("w" + i).variable(tf.math.mul(tf.random.truncatedNormal(tf.constant(k), TFloat32.class), tf.constant(0.2f)))
            : tf.withName("w" + i).variable(k, TFloat32.class);
        Variable<TFloat32> b = initialize
            ? tf.withName("b" + i).variable(tf.zeros(tf.constant(new long[] {sizes[i + 1]}), TFloat32.class))
            : tf.withName("b" + i).variable(Shape.of(sizes[i + 1]), TFloat32.class);
        h = tf.math.add(tf.linalg.matMul(h, w), b);
        if (i + 2 < sizes.length) {
          h = tf.nn.relu(h);
        }
      }
      return h;
    }
  }
}

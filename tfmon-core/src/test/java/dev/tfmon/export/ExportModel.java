package dev.tfmon.export;

import dev.tfmon.eval.EvalGraph;
import dev.tfmon.eval.EvalModel;
import dev.tfmon.eval.metrics.MetricGroup;
import dev.tfmon.eval.metrics.StreamingMetrics;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.summary.Summaries;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.data.Iterator;
import org.tensorflow.op.data.IteratorGetNext;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * A small regression model shaped like a real training job: a tf.data pipeline feeds the training
 * step, Adam keeps slots, a summary reports the loss, and a serving head reads the same weights
 * from placeholder {@code serving/x} [?, 3] to {@code serving/y} [?, 1].
 */
record ExportModel(Operation trainOp, Operation iteratorInit, Operand<TFloat32> loss, Placeholder<TFloat32> x,
    Operand<TFloat32> y, ExportSignature signature) {

  static final int FEATURES = 3;

  static ExportModel build(Graph g) {
    GlobalStep.getOrCreate(g);
    Ops tf = Ops.create(g);
    Random random = new Random(7);
    float[][] xs = new float[64][];
    float[][] ys = new float[64][];
    examples(random, xs, ys);
    Ops in = tf.withSubScope("input");
    List<Class<? extends TType>> types = List.of(TFloat32.class, TFloat32.class);
    Operand<? extends TType> ds = in.data.tensorSliceDataset(
        List.of(in.constant(StdArrays.ndCopyOf(xs)), in.constant(StdArrays.ndCopyOf(ys))),
        List.of(Shape.of(FEATURES), Shape.of(1)));
    ds = in.data.repeatDataset(ds, in.constant(-1L), types, List.of(Shape.of(FEATURES), Shape.of(1)));
    List<Shape> batched = List.of(Shape.of(-1, FEATURES), Shape.of(-1, 1));
    ds = in.data.batchDataset(ds, in.constant(16L), in.constant(false), types, batched);
    Iterator it = in.data.iterator("", "", types, batched);
    Operation init = in.data.makeIterator(ds, it).op();
    IteratorGetNext next = in.data.iteratorGetNext(it, types, batched);
    @SuppressWarnings("unchecked")
    Operand<TFloat32> bx = (Operand<TFloat32>) next.components().get(0);
    @SuppressWarnings("unchecked")
    Operand<TFloat32> by = (Operand<TFloat32>) next.components().get(1);

    float[][] w1 = new float[FEATURES][8];
    for (float[] row : w1) {
      for (int j = 0; j < row.length; j++) {
        row[j] = random.nextFloat() - 0.5f;
      }
    }
    float[][] w2 = new float[8][1];
    for (float[] row : w2) {
      row[0] = random.nextFloat() - 0.5f;
    }
    Variable<TFloat32> k1 = tf.withName("hidden_kernel").variable(tf.constant(StdArrays.ndCopyOf(w1)));
    Variable<TFloat32> b1 = tf.withName("hidden_bias").variable(tf.zeros(tf.constant(new int[] {8}), TFloat32.class));
    Variable<TFloat32> k2 = tf.withName("out_kernel").variable(tf.constant(StdArrays.ndCopyOf(w2)));
    Variable<TFloat32> b2 = tf.withName("out_bias").variable(tf.zeros(tf.constant(new int[] {1}), TFloat32.class));

    Ops t = tf.withSubScope("train");
    Operand<TFloat32> loss = t.withName("loss").math.mean(
        t.math.square(t.math.sub(forward(t, bx, k1, b1, k2, b2), by)), t.constant(new int[] {0, 1}));
    Operation train = TrainOps.minimize(new Adam(g, 0.05f), loss, "train_op");
    Summaries.scalar(g, "loss", loss);

    Ops s = tf.withSubScope("serving");
    Placeholder<TFloat32> x = s.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, FEATURES)));
    Operand<TFloat32> y = s.withName("y").identity(forward(s, x, k1, b1, k2, b2));
    ExportSignature sig = ExportSignature.builder().input("x", x).output("y", y).build();
    return new ExportModel(train, init, loss, x, y, sig);
  }

  private static Operand<TFloat32> forward(Ops tf, Operand<TFloat32> x, Operand<TFloat32> k1, Operand<TFloat32> b1,
      Operand<TFloat32> k2, Operand<TFloat32> b2) {
    Operand<TFloat32> h = tf.nn.relu(tf.math.add(tf.linalg.matMul(x, k1), b1));
    return tf.math.add(tf.linalg.matMul(h, k2), b2);
  }

  /**
   * The held-out evaluation of the model for {@code dev.tfmon.eval}: the mean squared error
   * ({@code loss}) of the same function on 32 other rows, with the training graph's variables; its input
   * never ends, so evaluate it with {@code maxBatches(1)}.
   */
  static EvalModel evalModel() {
    return graph -> {
      Ops tf = Ops.create(graph);
      float[][] xs = new float[32][];
      float[][] ys = new float[32][];
      examples(new Random(11), xs, ys);
      Variable<TFloat32> k1 = tf.withName("hidden_kernel").variable(Shape.of(FEATURES, 8), TFloat32.class);
      Variable<TFloat32> b1 = tf.withName("hidden_bias").variable(Shape.of(8), TFloat32.class);
      Variable<TFloat32> k2 = tf.withName("out_kernel").variable(Shape.of(8, 1), TFloat32.class);
      Variable<TFloat32> b2 = tf.withName("out_bias").variable(Shape.of(1), TFloat32.class);
      Ops e = tf.withSubScope("eval");
      Operand<TFloat32> predicted = forward(e, e.constant(StdArrays.ndCopyOf(xs)), k1, b1, k2, b2);
      Operand<TFloat32> error = e.math.square(e.math.sub(predicted, e.constant(StdArrays.ndCopyOf(ys))));
      return EvalGraph.of(MetricGroup.of(StreamingMetrics.mean(error).name("loss").build()));
    };
  }

  /** Fills {@code xs} with random rows in [-1, 1) and {@code ys} with the function the model learns. */
  private static void examples(Random random, float[][] xs, float[][] ys) {
    for (int i = 0; i < xs.length; i++) {
      xs[i] = new float[FEATURES];
      for (int j = 0; j < FEATURES; j++) {
        xs[i][j] = random.nextFloat() * 2 - 1;
      }
      ys[i] = new float[] {2 * xs[i][0] - xs[i][1] + 0.5f * xs[i][2] + 0.25f};
    }
  }

  /** Rows to predict: {@code n} rows of 3 features from {@code seed}. */
  static TFloat32 rows(int n, long seed) {
    Random r = new Random(seed);
    float[][] rows = new float[n][FEATURES];
    for (float[] row : rows) {
      for (int j = 0; j < FEATURES; j++) {
        row[j] = r.nextFloat() * 4 - 2;
      }
    }
    return TFloat32.tensorOf(StdArrays.ndCopyOf(rows));
  }

  /** The serving head's output for {@code rows} in {@code session}, flattened. */
  float[] predict(dev.tfmon.runtime.RunnableSession session, TFloat32 rows) {
    try (RunResult r = session.runner().feed(x, rows).fetch(y).run()) {
      return floats((TFloat32) r.get(0));
    }
  }

  static float[] floats(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    int[] i = {0};
    t.scalars().forEach(v -> out[i[0]++] = v.getFloat());
    return out;
  }
}

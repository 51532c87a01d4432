package dev.tfmon.eval;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.eval.metrics.MetricGroup;
import dev.tfmon.eval.metrics.StreamingMetrics;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.runtime.NativeSession;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.data.Iterator;
import org.tensorflow.op.data.IteratorGetNext;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * A linear classifier over two features for evaluation tests (issue 12): variables {@code w}
 * ([2]) and {@code b} (scalar), logit {@code x.w + b}, class 1 when the logit is positive; metrics
 * accuracy and the mean of {@code (logit - label)^2} named "loss". The eval input is a tf.data
 * pipeline over constant rows in batches, ending with OUT_OF_RANGE.
 */
final class EvalFixtures {
  private EvalFixtures() {}

  /** Saves {@code w}, {@code b} and the global step {@code step} as {@code dir/model.ckpt-<step>}. */
  static String saveCheckpoint(Path dir, float[] w, float b, long step) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      GraphVariable gs = GlobalStep.create(g);
      tf.withName("w").variable(tf.constant(w));
      tf.withName("b").variable(tf.constant(b));
      Operation setStep = g.opBuilder("Assign", "set_step", tf.scope())
          .addInput(gs.variable()).addInput(tf.constant(step).asOutput()).build();
      Saver saver = Saver.builder(g).maxToKeep(0).build();
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).runTargets();
        s.runner().addTarget(setStep).runTargets();
        return saver.save(s, dir.resolve("model.ckpt").toString(), step);
      }
    }
  }

  /** The eval model over {@code rows} (two features each) and 0/1 {@code labels}. */
  static EvalModel linear(float[][] rows, long[] labels, int batch) {
    return graph -> {
      Ops tf = Ops.create(graph);
      List<Class<? extends TType>> types = List.of(TFloat32.class, TInt64.class);
      Ops in = tf.withSubScope("eval_input");
      Operand<? extends TType> ds = in.data.tensorSliceDataset(
          List.of(in.constant(StdArrays.ndCopyOf(rows)), in.constant(labels)), List.of(Shape.of(2), Shape.scalar()));
      List<Shape> batched = List.of(Shape.of(-1, 2), Shape.of(-1));
      ds = in.data.batchDataset(ds, in.constant((long) batch), in.constant(false), types, batched);
      Iterator iterator = in.data.iterator("", "", types, batched);
      Operation init = in.data.makeIterator(ds, iterator).op();
      IteratorGetNext next = in.data.iteratorGetNext(iterator, types, batched);
      @SuppressWarnings("unchecked")
      Operand<TFloat32> x = (Operand<TFloat32>) next.components().get(0);
      @SuppressWarnings("unchecked")
      Operand<TInt64> y = (Operand<TInt64>) next.components().get(1);
      var w = tf.withName("w").variable(Shape.of(2), TFloat32.class);
      var b = tf.withName("b").variable(Shape.scalar(), TFloat32.class);
      Operand<TFloat32> logit = tf.math.add(tf.linalg.matMul(x, tf.reshape(w, tf.constant(new long[] {2, 1}))), b);
      logit = tf.reshape(logit, tf.constant(new long[] {-1}));
      Operand<TInt64> predicted = tf.dtypes.cast(tf.math.greater(logit, tf.constant(0f)), TInt64.class);
      Operand<TFloat32> err = tf.math.square(tf.math.sub(logit, tf.dtypes.cast(y, TFloat32.class)));
      MetricGroup metrics = MetricGroup.of(
          StreamingMetrics.accuracy(y, predicted).build(),
          StreamingMetrics.mean(err).name("loss").build());
      return EvalGraph.of(metrics, init);
    };
  }

  /** Rows of the fixed data set: six points, labels 1 1 1 0 1 1. */
  static final float[][] ROWS = {{1f, 0f}, {2f, 1f}, {0f, 1f}, {-1f, 0.5f}, {0.5f, 0.25f}, {3f, 3.5f}};
  static final long[] LABELS = {1, 1, 1, 0, 1, 1};
}

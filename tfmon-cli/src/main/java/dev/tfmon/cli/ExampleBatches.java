package dev.tfmon.cli;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.data.Iterator;
import org.tensorflow.op.data.IteratorGetNext;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * A tf.data pipeline over the rows of a {@link Dataset}, built from TF Java's dataset ops in the
 * graph: tensor slices of the rows (graph constants), optionally shuffled and repeated, in batches,
 * through an iterator whose end is OUT_OF_RANGE. TFRecordDataset (V2) cannot iterate in TF Java
 * 1.1.0; these ops can.
 *
 * <pre>{@code
 * ExampleBatches train = ExampleBatches.build(graph, tf.withSubScope("input"), rows, 64, 42L, -1);
 * ExampleBatches eval = ExampleBatches.build(graph, tf.withSubScope("eval_input"), heldOut, 256, null, null);
 * }</pre>
 *
 * @param init (re)starts the iterator: run it once per session
 * @param x the batch's features, float32 [batch, features]
 * @param y the batch's class indices, int32 [batch]
 */
record ExampleBatches(Operation init, Operand<TFloat32> x, Operand<TInt32> y) {

  /**
   * @param in the ops builder, in the pipeline's name scope
   * @param shuffleSeed reshuffle every pass from this seed, or null to keep the rows' order
   * @param epochs passes over the rows (-1: forever), or null for one pass without a repeat op
   */
  static ExampleBatches build(Graph graph, Ops in, Dataset rows, int batch, Long shuffleSeed, Long epochs) {
    int features = rows.numFeatures();
    List<Class<? extends TType>> types = List.of(TFloat32.class, TInt32.class);
    List<Shape> row = List.of(Shape.of(features), Shape.scalar());
    Operand<? extends TType> ds = in.data.tensorSliceDataset(
        List.of(in.constant(StdArrays.ndCopyOf(rows.features())), in.constant(rows.labels())), row);
    if (shuffleSeed != null) {
      ds = shuffle(graph, in, ds, rows.size(), shuffleSeed, row);
    }
    if (epochs != null) {
      ds = in.data.repeatDataset(ds, in.constant(epochs), types, row);
    }
    List<Shape> batched = List.of(Shape.of(-1, features), Shape.of(-1));
    ds = in.data.batchDataset(ds, in.constant((long) batch), in.constant(false), types, batched);
    Iterator iterator = in.data.iterator("", "", types, batched);
    Operation init = in.data.makeIterator(ds, iterator).op();
    IteratorGetNext next = in.data.iteratorGetNext(iterator, types, batched);
    @SuppressWarnings("unchecked")
    Operand<TFloat32> x = (Operand<TFloat32>) next.components().get(0);
    @SuppressWarnings("unchecked")
    Operand<TInt32> y = (Operand<TInt32>) next.components().get(1);
    return new ExampleBatches(init, x, y);
  }

  /**
   * A ShuffleDataset (V1) that reshuffles every epoch from a fixed seed. TF Java 1.1.0 only wraps
   * the V3 op, which needs a seed-generator resource; the V1 kernel is still registered.
   */
  private static Operand<? extends TType> shuffle(
      Graph graph, Ops tf, Operand<? extends TType> input, int buffer, long seed, List<Shape> shapes) {
    GraphOperation op =
        graph
            .opBuilder("ShuffleDataset", "input/shuffle", tf.scope())
            .addInput(input.asOutput())
            .addInput(tf.constant((long) buffer).asOutput())
            .addInput(tf.constant(seed).asOutput())
            .addInput(tf.constant(seed + 1).asOutput())
            .setAttr("reshuffle_each_iteration", true)
            .setAttr("output_types", new DataType[] {DataType.DT_FLOAT, DataType.DT_INT32})
            .setAttr("output_shapes", shapes.toArray(new Shape[0]))
            .build();
    return op.output(0);
  }
}

package dev.tfmon.cli;

import dev.tfmon.cluster.ReplicaDeviceSetter;
import dev.tfmon.cluster.SyncReplicas;
import dev.tfmon.export.ExportSignature;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.optimizers.OrderedAdam;
import dev.tfmon.schedule.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The built-in model: a multi-layer perceptron classifier (dense ReLU layers, softmax
 * cross-entropy, Adam) fed by a tf.data pipeline built from TF Java's dataset ops inside the graph
 * (tensor slices → shuffle → repeat → batch → iterator). When the input runs out, the iterator
 * raises OUT_OF_RANGE, which ends a {@code runUntilStopped} loop cleanly.
 *
 * <pre>{@code
 * ClassifierGraph model = ClassifierGraph.build(graph, split, List.of(64, 64), 64, 0.01f, -1, 42);
 * // run model.iteratorInit() once per session (the Scaffold's local init op), then model.trainOp()
 * }</pre>
 *
 * @param trainOp one step: minimize the batch loss, increment the global step (with synchronous
 *     replicas: push the gradients and wait for the chief's update)
 * @param loss the batch's mean cross-entropy
 * @param batchAccuracy the batch's accuracy
 * @param evalAccuracy the accuracy on the evaluation examples (a constant input)
 * @param iteratorInit (re)starts the input pipeline
 * @param layerSizes input width, hidden widths, number of classes
 * @param sync the synchronous replicas whose hook the session runs, or null
 */
record ClassifierGraph(
    Operation trainOp,
    Operand<TFloat32> loss,
    Operand<TFloat32> batchAccuracy,
    Operand<TFloat32> evalAccuracy,
    Operation iteratorInit,
    List<Integer> layerSizes,
    SyncReplicas sync) {

  /**
   * Builds the model into {@code graph}.
   *
   * @param epochs passes over the training examples, or -1 to repeat forever
   * @param seed seeds the initial weights and the shuffle
   */
  static ClassifierGraph build(
      Graph graph, Dataset.Split data, List<Integer> hidden, int batchSize, float learningRate, long epochs, long seed) {
    return build(graph, data, hidden, batchSize, learningRate, epochs, seed, null);
  }

  /**
   * Builds the model for between-graph replication when {@code placement} is not null: the global
   * step first, then the weights round-robin on the ps tasks, the rest on worker {@code
   * placement.task()}. Adam's slots and beta powers follow the weights onto the ps tasks ({@link
   * TrainOps#minimize} places them).
   */
  static ClassifierGraph build(
      Graph graph, Dataset.Split data, List<Integer> hidden, int batchSize, float learningRate, long epochs, long seed,
      Placement placement) {
    return build(graph, data, hidden, batchSize, learningRate, null, epochs, seed, placement);
  }

  /**
   * {@link #build(Graph, Dataset.Split, List, int, float, long, long, Placement)} with the learning
   * rate following {@code schedule} over the global step (null: the constant {@code learningRate}).
   */
  static ClassifierGraph build(
      Graph graph, Dataset.Split data, List<Integer> hidden, int batchSize, float learningRate,
      LearningRateSchedule schedule, long epochs, long seed, Placement placement) {
    Ops tf = Ops.create(graph);
    if (placement != null) {
      // before any other variable, so it lands on ps task 0 as in Python
      placement.setter().globalStep(graph);
      tf = placement.setter().workerOps(tf, placement.task());
    }
    Dataset train = data.train();
    int features = train.numFeatures();

    // (SparseSoftmaxCrossEntropyWithLogits has no C++ gradient, so the loss takes one-hot labels.)
    // Input pipeline: the examples are constants of the graph; tf.data slices, shuffles, repeats
    // and batches them. Synchronous replicas average one batch from each worker: each worker
    // shuffles its own way.
    long shuffleSeed = placement != null && placement.sync() ? seed + 7919L * placement.task() : seed;
    ExampleBatches input = ExampleBatches.build(graph, tf.withSubScope("input"), train, batchSize, shuffleSeed, epochs);
    Operation init = input.init();
    Operand<TFloat32> x = input.x();
    Operand<TInt32> y = input.y();

    // Weights start from a seeded Glorot-uniform draw made here, so a run is reproducible.
    Random random = new Random(seed);
    List<Integer> sizes = new ArrayList<>();
    sizes.add(features);
    sizes.addAll(hidden);
    sizes.add(train.numClasses());
    List<Variable<TFloat32>> kernels = new ArrayList<>();
    List<Variable<TFloat32>> biases = new ArrayList<>();
    for (int i = 0; i + 1 < sizes.size(); i++) {
      int fanIn = sizes.get(i);
      int fanOut = sizes.get(i + 1);
      String layer = layerName(i, sizes.size() - 1);
      // Flat names ("dense_0_kernel"): tensorflow-framework optimizers name their slots
      // "<variable>-m" through withName, which rejects the '/' of a scoped name.
      float limit = (float) Math.sqrt(6.0 / (fanIn + fanOut));
      float[][] w = new float[fanIn][fanOut];
      for (float[] row : w) {
        for (int j = 0; j < fanOut; j++) {
          row[j] = (random.nextFloat() * 2 - 1) * limit;
        }
      }
      kernels.add(variableOps(tf, placement).withName(layer + "_kernel").variable(tf.constant(StdArrays.ndCopyOf(w))));
      biases.add(variableOps(tf, placement).withName(layer + "_bias").variable(tf.zeros(tf.constant(new int[] {fanOut}), TFloat32.class)));
    }

    Ops t = tf.withSubScope("train");
    Operand<TFloat32> logits = forward(t, x, kernels, biases);
    Operand<TFloat32> loss =
        t.withName("loss").math.mean(t.nn.softmaxCrossEntropyWithLogits(logits, t.oneHot(y, t.constant(train.numClasses()), t.constant(1f), t.constant(0f))).loss(), t.constant(0));
    Operand<TFloat32> batchAccuracy = accuracy(t, logits, y);
    SyncReplicas sync = null;
    Operation trainOp;
    if (placement != null && placement.sync()) {
      sync =
          SyncReplicas.builder(new OrderedAdam(graph, learningRate))
              .replicasToAggregate(placement.replicasToAggregate())
              .totalReplicas(placement.totalReplicas())
              .build();
      trainOp = sync.minimize(loss, "train_op");
      // the Scaffold's local init op is this one: it must set up the local step too
      init = group(graph, "local_init", init, GraphCollections.of(graph).variables(CollectionKeys.LOCAL_VARIABLES));
    } else {
      Optimizer optimizer = new OrderedAdam(graph, learningRate);
      trainOp = schedule == null
          ? TrainOps.minimize(optimizer, loss, "train_op")
          : TrainOps.minimize(optimizer, schedule.learningRate(graph), loss, "train_op");
    }

    Dataset eval = data.eval();
    Ops e = tf.withSubScope("eval");
    Operand<TFloat32> evalLogits = forward(e, e.constant(StdArrays.ndCopyOf(eval.features())), kernels, biases);
    Operand<TFloat32> evalAccuracy = accuracy(e, evalLogits, e.constant(eval.labels()));
    ExportSignature.recordIn(graph, List.of(servingHead(tf, features, kernels, biases)));
    return new ClassifierGraph(trainOp, loss, batchAccuracy, evalAccuracy, init, List.copyOf(sizes), sync);
  }

  /**
   * The model as a server calls it: feature rows fed to a placeholder, the logits, the class
   * probabilities and the predicted class. Recorded in the graph (and so in every {@code .meta}),
   * it is what {@code --export-dir} and {@code tfmon export} write as {@code serving_default}.
   */
  private static ExportSignature servingHead(
      Ops tf, int features, List<Variable<TFloat32>> kernels, List<Variable<TFloat32>> biases) {
    Ops s = tf.withSubScope("serving");
    Placeholder<TFloat32> x =
        s.withName("features").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, features)));
    Operand<TFloat32> logits = s.withName("logits").identity(forward(s, x, kernels, biases));
    return ExportSignature.builder()
        .input("features", x)
        .output("logits", logits)
        .output("probabilities", s.withName("probabilities").nn.softmax(logits))
        .output("classes", s.withName("classes").math.argMax(logits, s.constant(1), TInt64.class))
        .build();
  }

  /**
   * Where the variables of a distributed model go (see {@link ReplicaDeviceSetter}), and whether
   * the workers train as synchronous replicas.
   *
   * @param replicasToAggregate gradients per update with synchronous replicas, 0 for asynchronous
   *     training
   * @param totalReplicas the workers that train (with synchronous replicas)
   */
  record Placement(ReplicaDeviceSetter setter, int task, int replicasToAggregate, int totalReplicas) {
    Placement(ReplicaDeviceSetter setter, int task) {
      this(setter, task, 0, 0);
    }

    boolean sync() {
      return replicasToAggregate > 0;
    }
  }

  private static Operation group(Graph graph, String name, Operation first, List<GraphVariable> variables) {
    var builder = graph.opBuilder("NoOp", name, Ops.create(graph).scope()).addControlInput(first);
    variables.forEach(v -> builder.addControlInput(v.initializer()));
    return builder.build();
  }

  private static Ops variableOps(Ops tf, Placement placement) {
    return placement == null ? tf : placement.setter().variableOps(tf);
  }

  /**
   * The name of layer {@code i} of {@code layers} ({@code dense_0}, ..., {@code logits}); its
   * variables are {@code <name>_kernel} and {@code <name>_bias}.
   */
  static String layerName(int i, int layers) {
    return i + 1 == layers ? "logits" : "dense_" + i;
  }

  /** The logits of {@code x}: dense layers with ReLU between them. */
  static Operand<TFloat32> forward(
      Ops tf, Operand<TFloat32> x, List<Variable<TFloat32>> kernels, List<Variable<TFloat32>> biases) {
    Operand<TFloat32> h = x;
    for (int i = 0; i < kernels.size(); i++) {
      h = tf.math.add(tf.linalg.matMul(h, kernels.get(i)), biases.get(i));
      if (i + 1 < kernels.size()) {
        h = tf.nn.relu(h);
      }
    }
    return h;
  }

  private static Operand<TFloat32> accuracy(Ops tf, Operand<TFloat32> logits, Operand<TInt32> labels) {
    Operand<TInt32> predicted = tf.math.argMax(logits, tf.constant(1), TInt32.class);
    Operand<TBool> hit = tf.math.equal(predicted, labels);
    return tf.math.mean(tf.dtypes.cast(hit, TFloat32.class), tf.constant(0));
  }
}

package dev.tfmon.cluster;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RequestedDevices;
import dev.tfmon.runtime.RunResult;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * A test's own view of a synchronous-replicas job, through a session of its own on a worker task:
 * the global step and the token queue, found on the ps by their names as every replica finds them.
 * It reads them without running a replica's session, and can release replicas that wait for a token
 * when a test ends.
 */
final class SyncProbe implements AutoCloseable {
  private final Graph graph = new Graph();
  private final NativeSession session;
  private final GraphOperation size;
  private final GraphOperation step;
  private final GraphOperation release;

  SyncProbe(LocalCluster cluster, int workerTask, String syncName, int releaseTokens) {
    Ops tf = Ops.create(graph);
    String ps0 = "/job:ps/task:0";
    GraphOperation queue =
        pin(graph.opBuilder("FIFOQueueV2", syncName + "/token_queue", tf.scope())
            .setAttr("component_types", new DataType[] {DataType.DT_INT64})
            .setAttr("shapes", new Shape[] {Shape.scalar()})
            .setAttr("capacity", -1L)
            .setAttr("shared_name", syncName + "/token_queue"), ps0);
    size = pin(graph.opBuilder("QueueSizeV2", "size", tf.scope()).addInput(queue.output(0)), ps0);
    GraphOperation variable =
        pin(graph.opBuilder("VariableV2", "global_step", tf.scope())
            .setAttr("dtype", DataType.DT_INT64)
            .setAttr("shape", Shape.scalar()), ps0);
    step = pin(graph.opBuilder("Identity", "step", tf.scope()).addInput(variable.output(0)), ps0);
    GraphOperation tokens;
    try (TInt64 t = TInt64.vectorOf(new long[releaseTokens])) {
      tokens = pin(graph.opBuilder("Const", "tokens", tf.scope()).setAttr("dtype", DataType.DT_INT64).setAttr("value", t), ps0);
    }
    release =
        pin(graph.opBuilder("QueueEnqueueManyV2", "release", tf.scope())
            .addInput(queue.output(0))
            .addInputList(new org.tensorflow.Output<?>[] {tokens.output(0)}), ps0);
    session =
        NativeSession.open(
            graph,
            cluster.target("worker", workerTask),
            ReplicaDeviceSetter.forCluster(cluster.spec()).sessionConfig(workerTask));
  }

  private static GraphOperation pin(GraphOperationBuilder b, String device) {
    GraphOperation op = b.build();
    RequestedDevices.set(op, device);
    return op;
  }

  long globalStep() {
    try (RunResult r = session.runner().fetch(step.output(0)).run()) {
      return r.getLong(step.<TInt64>output(0));
    }
  }

  int queuedTokens() {
    try (RunResult r = session.runner().fetch(size.output(0)).run()) {
      return r.getInt(size.<TInt32>output(0));
    }
  }

  /** Enqueues spare tokens, so that replicas waiting for one finish their step. */
  void release() {
    session.runner().addTarget(release).runTargets();
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}

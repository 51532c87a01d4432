package dev.tfmon.cluster;

import dev.tfmon.coord.QueueRunner;
import dev.tfmon.graph.GraphVariable;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.types.TString;

/**
 * What {@link SyncReplicas#minimize} built and its hook runs.
 *
 * @param graph the graph they are in
 * @param globalStep the shared step
 * @param localStep this worker's local variable
 * @param tokenQueue the FIFOQueue handle on the global step's device
 * @param trainOp push the gradients, take a token, set the local step
 * @param localStepInit the local step set from the global step (every worker's session start)
 * @param chiefInit the local step init plus each accumulator's step set from the global step
 * @param readyForLocalInit the names of uninitialized global variables (empty: ready)
 * @param chiefQueueRunner runs the sync op on the chief
 */
record SyncReplicasOps(
    Graph graph,
    GraphVariable globalStep,
    GraphVariable localStep,
    Output<?> tokenQueue,
    Operation trainOp,
    Operation localStepInit,
    Operation chiefInit,
    Output<TString> readyForLocalInit,
    QueueRunner chiefQueueRunner) {}

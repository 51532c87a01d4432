package dev.tfmon.cluster;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphVariable;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;

/**
 * Variable placement for between-graph replication, in the spirit of Python's {@code
 * tf.train.replica_device_setter}: variables go round-robin over the parameter server tasks (in
 * creation order, like Python's default strategy), everything else runs on the worker that builds
 * the graph. TF Java has no device functions that see each op as it is created, so model code asks
 * for the {@code Ops} to create each variable with:
 *
 * <pre>{@code
 * ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
 * Ops tf = placement.workerOps(Ops.create(graph), taskIndex);    // compute on this worker
 * GraphVariable step = placement.globalStep(graph);              // a shared step, on a ps task
 * Variable<TFloat32> w = placement.variableOps(tf).variable(tf.zeros(...)); // next ps task
 * Variable<TFloat32> b = placement.variableOps(tf).variable(tf.zeros(...)); // and the next
 * ConfigProto config = placement.sessionConfig(taskIndex);        // see only ps + this worker
 * }</pre>
 *
 * <p>Ops that take a variable by reference (its {@code Assign} initializer, optimizer updates,
 * {@code IsVariableInitialized}) need no device: TensorFlow's placer puts them beside the variable.
 * The optimizer's own variables (slots such as Adam's {@code w-m}, and shared state such as its
 * {@code beta1_power}) are placed by {@code TrainOps.minimize} beside the variables they serve, as
 * TF 1.x does. For a cluster with a separate chief job, the chief uses {@code forCluster(spec,
 * "ps", "chief")}.
 * Every worker must create the variables in the same order so that they agree on the placement.
 * Instances are thread-safe; the round-robin counter is per instance, so use one per graph.
 */
public final class ReplicaDeviceSetter {
  private final String psJob;
  private final int numPsTasks;
  private final String workerJob;
  private int next;

  private ReplicaDeviceSetter(String psJob, int numPsTasks, String workerJob) {
    this.psJob = psJob;
    this.numPsTasks = numPsTasks;
    this.workerJob = workerJob;
  }

  /**
   * Placement over the cluster's {@code ps} and {@code worker} jobs.
   *
   * @throws IllegalArgumentException if the cluster lacks either job
   */
  public static ReplicaDeviceSetter forCluster(ClusterSpec cluster) {
    return forCluster(cluster, "ps", "worker");
  }

  /**
   * Placement over job {@code psJob} for variables and {@code workerJob} for the rest.
   *
   * @throws IllegalArgumentException if the cluster lacks either job
   */
  public static ReplicaDeviceSetter forCluster(ClusterSpec cluster, String psJob, String workerJob) {
    if (!cluster.hasJob(psJob)) {
      throw new IllegalArgumentException(
          "no parameter server job \"" + psJob + "\" in the cluster; jobs are "
              + cluster.jobNames());
    }
    if (!cluster.hasJob(workerJob)) {
      throw new IllegalArgumentException(
          "no worker job \"" + workerJob + "\" in the cluster; jobs are " + cluster.jobNames());
    }
    return new ReplicaDeviceSetter(psJob, cluster.numTasks(psJob), workerJob);
  }

  /** The number of parameter server tasks variables are spread over. */
  public int numPsTasks() {
    return numPsTasks;
  }

  /** The device of parameter server task {@code task}: {@code /job:ps/task:N}. */
  public DeviceSpec psDevice(int task) {
    if (task < 0 || task >= numPsTasks) {
      throw new IllegalArgumentException(
          "expected a " + psJob + " task in 0.." + (numPsTasks - 1) + ", but got " + task);
    }
    return DeviceSpec.newBuilder().job(psJob).task(task).build();
  }

  /** The device of worker task {@code task}: {@code /job:worker/task:N}. */
  public DeviceSpec workerDevice(int task) {
    if (task < 0) {
      throw new IllegalArgumentException("expected a non-negative worker task, but got " + task);
    }
    return DeviceSpec.newBuilder().job(workerJob).task(task).build();
  }

  /** The device for the next variable, advancing the round robin. */
  public synchronized DeviceSpec nextVariableDevice() {
    DeviceSpec device = psDevice(next);
    next = (next + 1) % numPsTasks;
    return device;
  }

  /** {@code tf} pinned to {@link #nextVariableDevice()}: create exactly one variable with it. */
  public Ops variableOps(Ops tf) {
    return tf.withDevice(nextVariableDevice());
  }

  /** {@code tf} pinned to worker task {@code task}, for the model's computation. */
  public Ops workerOps(Ops tf, int task) {
    return tf.withDevice(workerDevice(task));
  }

  /**
   * The graph's global step, created on the next parameter server task if the graph has none yet
   * (create it before the model's variables to put it on task 0, as Python does).
   */
  public GraphVariable globalStep(Graph graph) {
    synchronized (GlobalStep.class) {
      return GlobalStep.get(graph).orElseGet(() -> GlobalStep.create(graph, nextVariableDevice()));
    }
  }

  /**
   * A session config whose device filters let worker {@code task} see only the parameter servers
   * and itself, as TF 1.x users set {@code device_filters}: without them, creating a session waits
   * for every task of the cluster to be up, so one dead worker would stall the others' recovery.
   */
  public ConfigProto sessionConfig(int task) {
    return ConfigProto.newBuilder()
        .addDeviceFilters("/job:" + psJob)
        .addDeviceFilters("/job:" + workerJob + "/task:" + workerDevice(task).task())
        .build();
  }
}

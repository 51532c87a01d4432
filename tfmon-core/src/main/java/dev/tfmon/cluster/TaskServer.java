package dev.tfmon.cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Server;

/**
 * One task of a TensorFlow cluster served in this process by TensorFlow's own gRPC runtime
 * ({@code org.tensorflow.Server}). Sessions reach it at {@link #target()}.
 *
 * <p>TensorFlow cannot stop a started server (its {@code Server.stop()} fails: the C runtime has no
 * clean shutdown of a gRPC server), so a task lives as long as its JVM: run each task in its own process (see
 * {@link TaskServerMain} and {@link LocalCluster}) and end it by killing the process. For the same
 * reason this class is not {@code AutoCloseable}.
 *
 * <pre>{@code
 * ClusterSpec spec = ClusterSpec.parse("ps=127.0.0.1:2222;worker=127.0.0.1:2223");
 * TaskServer.run(spec, "ps", 0);                     // blocks for the life of the process
 *
 * TaskServer me = TaskServer.start(spec, "worker", 0);  // or: serve and train in one process
 * MonitoredSession session = ... master(me.target()) ...;
 * }</pre>
 */
public final class TaskServer {
  private static final Logger LOG = LoggerFactory.getLogger(TaskServer.class);

  private final ClusterSpec cluster;
  private final String job;
  private final int task;
  private final Server server;

  private TaskServer(ClusterSpec cluster, String job, int task, Server server) {
    this.cluster = cluster;
    this.job = job;
    this.task = task;
    this.server = server;
  }

  /**
   * Starts task {@code task} of {@code job} and returns once it is serving.
   *
   * @throws IllegalArgumentException if the cluster has no such task
   * @throws IllegalStateException if TensorFlow cannot start it (for instance the port is taken),
   *     with TensorFlow's message
   */
  public static TaskServer start(ClusterSpec cluster, String job, int task) {
    var def = cluster.toServerDef(job, task);
    String name = "/job:" + job + "/task:" + task;
    Server server;
    try {
      server = new Server(def);
      server.start();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "could not start " + name + " on " + cluster.address(job, task) + ": " + e.getMessage(),
          e);
    }
    TaskServer started = new TaskServer(cluster, job, task, server);
    LOG.info("Started {} of cluster {} at {}", name, cluster.toCompactString(), started.target());
    return started;
  }

  /** Starts the task and blocks for the life of the process (see the class comment). */
  public static void run(ClusterSpec cluster, String job, int task) {
    start(cluster, job, task).join();
  }

  /** Blocks while the server runs, which is until the process ends. */
  public void join() {
    server.join();
  }

  /** This task's session target, {@code grpc://host:port}. */
  public String target() {
    return cluster.target(job, task);
  }

  public ClusterSpec cluster() {
    return cluster;
  }

  public String job() {
    return job;
  }

  public int task() {
    return task;
  }
}

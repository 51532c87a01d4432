package dev.tfmon.testing;

import org.tensorflow.Server;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.JobDef;
import org.tensorflow.proto.ServerDef;

/**
 * Runs one task of a TensorFlow cluster in this process: {@code job task job=host:port,... ...}.
 * Prints {@code READY grpc://host:port} once the server has started, then blocks until killed.
 *
 * <p>Example: {@code ps 0 ps=127.0.0.1:5000 worker=127.0.0.1:5001}.
 */
public final class ClusterTaskMain {
  private ClusterTaskMain() {}

  /**
   * Starts task 0 of {@code job} in a child JVM; {@code cluster} holds {@code job=host:port,...}
   * entries for every job.
   */
  public static ChildJvm start(String job, String... cluster) {
    String[] args = new String[cluster.length + 2];
    args[0] = job;
    args[1] = "0";
    System.arraycopy(cluster, 0, args, 2, cluster.length);
    return ChildJvm.start(job + "0", ClusterTaskMain.class, java.util.List.of(), args);
  }

  public static void main(String[] args) throws Exception {
    ChildJvm.exitWhenParentDies();
    String job = args[0];
    int task = Integer.parseInt(args[1]);
    ClusterDef.Builder cluster = ClusterDef.newBuilder();
    String myAddress = null;
    for (int i = 2; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      String[] addresses = kv[1].split(",");
      JobDef.Builder jobDef = JobDef.newBuilder().setName(kv[0]);
      for (int t = 0; t < addresses.length; t++) {
        jobDef.putTasks(t, addresses[t]);
        if (kv[0].equals(job) && t == task) {
          myAddress = addresses[t];
        }
      }
      cluster.addJob(jobDef);
    }
    ServerDef def =
        ServerDef.newBuilder()
            .setCluster(cluster)
            .setJobName(job)
            .setTaskIndex(task)
            .setProtocol("grpc")
            .build();
    Server server = new Server(def);
    server.start();
    System.out.println("READY grpc://" + myAddress);
    System.out.flush();
    server.join();
  }
}

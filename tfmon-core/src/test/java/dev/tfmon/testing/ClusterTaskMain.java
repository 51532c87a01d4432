package dev.tfmon.testing;

import dev.tfmon.cluster.TaskServerMain;
import java.util.List;

/**
 * Starts task 0 of a job of a small cluster in a child JVM ({@link TaskServerMain}), for tests that
 * drive the tasks themselves. The child prints {@code READY grpc://host:port /job:J/task:0} once
 * serving (see {@link #target(String)}), then serves until killed.
 *
 * <p>Example: {@code ClusterTaskMain.start("ps", "ps=127.0.0.1:5000", "worker=127.0.0.1:5001")}.
 */
public final class ClusterTaskMain {
  private ClusterTaskMain() {}

  /**
   * Starts task 0 of {@code job} in a child JVM; {@code cluster} holds {@code job=host:port,...}
   * entries for every job.
   */
  public static ChildJvm start(String job, String... cluster) {
    return ChildJvm.start(
        job + "0",
        TaskServerMain.class,
        List.of(),
        "--cluster", String.join(";", cluster), "--job", job, "--task", "0", "--exit-on-stdin-eof");
  }

  /** The session target in a ready line: {@code grpc://host:port}. */
  public static String target(String readyLine) {
    return readyLine.split(" ")[1];
  }
}

package dev.tfmon.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.process.ChildProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * The worker program of the cluster package's documentation, run for real: one ps task and two
 * workers on loopback ports, each with its own {@code TF_CONFIG} (issue 17: the cluster example
 * compiles and runs).
 */
@Tag("multiprocess")
class WorkerProgramExampleTest {
  // issue 17: the cluster example in cluster/package-info.java is real code that trains
  @Test
  void twoWorkersTrainTheSharedModelAndTheChiefCheckpointsIt(@TempDir Path dir) {
    List<String> jvm = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    try (LocalCluster cluster = LocalCluster.builder().ps(1).workers(2)
        .command((spec, job, task) -> job.equals("ps")
            ? LocalCluster.serverCommand(jvm).command(spec, job, task)
            : withTfConfig(spec, job, task,
                ChildProcess.javaCommand(jvm, WorkerProgramExample.class.getName(), List.of(dir.toString()))))
        .startTimeout(Duration.ofSeconds(90))
        .reserve()) {
      cluster.start("ps", 0);
      ChildProcess chief = cluster.launch("worker", 0);
      ChildProcess other = cluster.launch("worker", 1);
      chief.awaitLine("DONE worker 0", Duration.ofSeconds(180));
      other.awaitLine("DONE worker 1", Duration.ofSeconds(180));
    }
    String last = Checkpoints.latestCheckpoint(dir).orElseThrow();
    long step = Long.parseLong(last.substring(last.lastIndexOf('-') + 1));
    // Each worker stops once it sees the shared step at 100; the other's step in flight may add one.
    assertThat(step).isBetween(100L, 102L);
    try (CheckpointReader reader = CheckpointReader.open(last);
         TFloat32 w = (TFloat32) reader.read("w")) {
      assertThat(w.getFloat()).isCloseTo(3f, org.assertj.core.data.Offset.offset(1e-3f));
    }
  }

  /** {@code env TF_CONFIG=<this task's JSON> <command>}: LocalCluster passes no environment. */
  private static List<String> withTfConfig(ClusterSpec spec, String job, int task, List<String> command) {
    List<String> out = new ArrayList<>();
    out.add("env");
    out.add(TfConfig.ENV + "={\"cluster\": " + spec.toJson()
        + ", \"task\": {\"type\": \"" + job + "\", \"index\": " + task + "}}");
    out.addAll(command);
    return out;
  }
}

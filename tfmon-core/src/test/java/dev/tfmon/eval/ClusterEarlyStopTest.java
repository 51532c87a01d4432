package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.cluster.LocalCluster;
import dev.tfmon.process.ChildProcess;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue 12, early stopping on a cluster, the Estimator way: one ps task and two workers, each its
 * own JVM on a loopback port. The chief's early-stopping hook decides on a plateaued training
 * loss and sets the stop flag variable on the ps task; the other worker's StopFlagHook reads it
 * and stops too, far before its last step of 100000.
 */
@Tag("multiprocess")
class ClusterEarlyStopTest {
  private static final Duration START = Duration.ofSeconds(60);
  private static final Duration TRAIN = Duration.ofSeconds(120);

  @Test
  void theChiefsDecisionStopsEveryWorker() {
    List<String> jvm = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    LocalCluster.TaskCommand server = LocalCluster.serverCommand(jvm);
    try (LocalCluster cluster = LocalCluster.builder().ps(1).workers(2)
        .command((spec, job, task) -> job.equals("ps")
            ? server.command(spec, job, task)
            : ChildProcess.javaCommand(jvm, StopFlagWorkerMain.class.getName(), List.of(
                "--cluster", spec.toCompactString(), "--task", Integer.toString(task), "--last-step", "100000")))
        .startTimeout(START)
        .reserve()) {
      cluster.start("ps", 0);
      ChildProcess chief = cluster.start("worker", 0);
      ChildProcess worker = cluster.start("worker", 1);

      String chiefDone = chief.awaitLine("DONE ", TRAIN);
      String workerDone = worker.awaitLine("DONE ", TRAIN);
      LoggerFactory.getLogger(ClusterEarlyStopTest.class).info("chief: {}; worker: {}", chiefDone, workerDone);

      // the chief decided: the loss stopped improving after the rate fell to 0 at step 30
      assertThat(chiefDone).contains(" early=loss has not improved for 3 evaluations");
      long decidedAt = number(chiefDone, "stopping at step");
      assertThat(decidedAt).isGreaterThanOrEqualTo(60).isLessThan(1000);
      // the other worker made no decision: the flag stopped it
      assertThat(workerDone).contains("by_flag=true").endsWith("early=none");
      assertThat(number(workerDone, "step=")).isLessThan(100000);
    }
  }

  private static long number(String line, String key) {
    Matcher m = Pattern.compile(Pattern.quote(key) + " ?(\\d+)").matcher(line);
    if (!m.find()) {
      throw new AssertionError("no '" + key + "' in \"" + line + "\"");
    }
    return Long.parseLong(m.group(1));
  }
}

package dev.tfmon.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.process.ChildProcess;
import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.ScalarSeries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Between-graph replicated training on a real local cluster (issue #7): one ps task
 * ({@link TaskServerMain}) and two worker tasks that serve and train in one process ({@link
 * ClusterTrainerMain}), every task its own JVM on a free loopback port.
 */
@Tag("multiprocess")
class DistributedTrainingTest {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainingTest.class);
  static final Duration START = Duration.ofSeconds(60);
  static final Duration TRAIN = Duration.ofSeconds(90);
  static final String WAITING =
      "[main] INFO dev.tfmon.session.SessionManager - the model is not ready yet, checking again in";

  @TempDir Path modelDir;

  static LocalCluster cluster(Path modelDir, long lastStep, long saveEvery) {
    return cluster(modelDir, lastStep, saveEvery, 90);
  }

  static LocalCluster cluster(Path modelDir, long lastStep, long saveEvery, long maxWaitSecs) {
    return builder(modelDir, lastStep, saveEvery, maxWaitSecs).reserve();
  }

  static LocalCluster.Builder builder(Path modelDir, long lastStep, long saveEvery, long maxWaitSecs) {
    return builder(modelDir, lastStep, saveEvery, maxWaitSecs, 1, 2, List.of());
  }

  /**
   * {@code ps} ps tasks and {@code workers} {@link ClusterTrainerMain} workers, each given {@code
   * trainerArgs} too (such as {@code --sync 2/2}).
   */
  static LocalCluster.Builder builder(
      Path modelDir, long lastStep, long saveEvery, long maxWaitSecs, int ps, int workers,
      List<String> trainerArgs) {
    List<String> jvm = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    LocalCluster.TaskCommand server = LocalCluster.serverCommand(jvm);
    return LocalCluster.builder()
        .ps(ps)
        .workers(workers)
        .command(
            (spec, job, task) -> {
              if (job.equals("ps")) {
                return server.command(spec, job, task);
              }
              List<String> args =
                  new ArrayList<>(
                      List.of(
                          "--cluster", spec.toCompactString(),
                          "--task", Integer.toString(task),
                          "--last-step", Long.toString(lastStep),
                          "--model-dir", modelDir.toString(),
                          "--save-every", Long.toString(saveEvery),
                          "--max-wait-secs", Long.toString(maxWaitSecs)));
              args.addAll(trainerArgs);
              return ChildProcess.javaCommand(jvm, ClusterTrainerMain.class.getName(), args);
            })
        .startTimeout(START);
  }

  static long number(String line, String key) {
    Matcher m = Pattern.compile("\\b" + key + "=(-?[0-9.]+)").matcher(line);
    if (!m.find()) {
      throw new AssertionError("no " + key + "= in \"" + line + "\"");
    }
    return (long) Double.parseDouble(m.group(1));
  }

  static double decimal(String line, String key) {
    Matcher m = Pattern.compile("\\b" + key + "=(-?[0-9.]+(?:E-?[0-9]+)?)").matcher(line);
    if (!m.find()) {
      throw new AssertionError("no " + key + "= in \"" + line + "\"");
    }
    return Double.parseDouble(m.group(1));
  }

  @Test
  void onePsTwoWorkersTrainOneSharedModelToTheLastStep() throws Exception {
    try (LocalCluster cluster = cluster(modelDir, 400, 100)) {
      cluster.start("ps", 0);
      // the non-chief first: it must wait for the chief to initialize the model (SCR-4, SM-6)
      ChildProcess worker = cluster.start("worker", 1);
      worker.awaitLine(WAITING, START);
      ChildProcess chief = cluster.start("worker", 0);

      String chiefDone = chief.awaitLine("DONE ", TRAIN);
      String workerDone = worker.awaitLine("DONE ", TRAIN);
      LOG.info("chief: {}; worker: {}", chiefDone, workerDone);

      assertThat(number(chiefDone, "step")).isGreaterThanOrEqualTo(400);
      assertThat(number(workerDone, "step")).isGreaterThanOrEqualTo(400);
      assertThat(decimal(chiefDone, "loss")).isLessThan(decimal(chiefDone, "first_loss") / 10);
      assertThat(String.join("\n", worker.transcript()))
          .contains("the model is not ready yet, checking again in")
          .doesNotContain("SAVED");
      assertThat(Files.exists(modelDir.resolve("checkpoint"))).isTrue();
      List<Path> events = EventFileReader.eventFiles(modelDir);
      assertThat(events).hasSize(1);
      Map<String, List<ScalarPoint>> scalars = ScalarSeries.readDirectory(modelDir);
      List<ScalarPoint> loss = scalars.get("loss");
      assertThat(loss).hasSizeGreaterThanOrEqualTo(2);
      assertThat(loss.get(loss.size() - 1).value()).isLessThan(loss.get(0).value());
    }
  }

  // issue 14 item 4: every task its own host, 127.0.0.2 and up; nothing assumes one shared address
  @Test
  void tasksOnTheirOwnLoopbackAddressesTrainOneModel() {
    try (LocalCluster cluster = builder(modelDir, 200, 100, 90).hostPerTask(true).reserve()) {
      ClusterSpec spec = cluster.spec();
      assertThat(spec.address("ps", 0)).startsWith("127.0.0.2:");
      assertThat(spec.address("worker", 0)).startsWith("127.0.0.3:");
      assertThat(spec.address("worker", 1)).startsWith("127.0.0.4:");
      cluster.startAll();
      assertThat(cluster.task("ps", 0).transcript()).contains("READY " + spec.target("ps", 0) + " /job:ps/task:0");
      String chiefDone = cluster.task("worker", 0).awaitLine("DONE ", TRAIN);
      String workerDone = cluster.task("worker", 1).awaitLine("DONE ", TRAIN);
      assertThat(number(chiefDone, "step")).isGreaterThanOrEqualTo(200);
      assertThat(number(workerDone, "step")).isGreaterThanOrEqualTo(200);
      assertThat(decimal(chiefDone, "loss")).isLessThan(decimal(chiefDone, "first_loss") / 10);
      assertThat(Files.exists(modelDir.resolve("checkpoint"))).isTrue();
    }
  }

  @Test
  void aNonChiefWithoutAChiefGivesUpAfterItsMaxWait() {
    try (LocalCluster cluster = cluster(modelDir, 10, 100, 2)) {
      cluster.start("ps", 0);
      ChildProcess worker = cluster.start("worker", 1);
      // SM-6: the wait is bounded by max wait and each retry is logged
      String failed = worker.awaitLine("FAILED ", TRAIN);
      assertThat(failed)
          .isEqualTo(
              "FAILED DeadlineExceededException: DEADLINE_EXCEEDED: the model was still not ready after"
                  + " waiting 2 s (maxWait) for the chief to initialize it: Variables not initialized:"
                  + " global_step, w, b");
      assertThat(worker.transcript())
          .anyMatch(
              l ->
                  l.startsWith(
                      WAITING
                          + " PT0.2S: ready for local init: Variables not initialized: global_step, w, b,"
                          + " ready: not checked"));
    }
  }
}

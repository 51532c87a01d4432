package dev.tfmon.cluster;

import static dev.tfmon.cluster.DistributedTrainingTest.number;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.CheckpointState;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.process.ChildProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.types.TInt64;

/**
 * A storm of kills on a real cluster (issue 14 item 4): {@code ps} ps tasks and {@code workers}
 * {@link ClusterTrainerMain} workers train to a fixed step while a seeded schedule kills a random
 * task (a ps, a worker or the chief) with SIGKILL every {@code interval} and starts it again on its
 * port. Then it checks what a kill may never cost: the job reaches the target step, every kept
 * checkpoint reads back whole, and no restore goes back further than the last checkpoint saved
 * before the kill. {@link Report} sums up the kills, the recoveries and the time they cost.
 *
 * @param seed the schedule's seed (which task dies when)
 * @param ps parameter server tasks
 * @param workers worker tasks (worker 0 is the chief)
 * @param targetStep the global step the job trains to
 * @param stopKillingAt no kill once the global step reaches this
 * @param maxKills no more kills than this
 * @param interval the time between two kills
 * @param stepDelayMs each worker's pause after a step (paces the job)
 * @param deadline how long the whole soak may take
 * @param trainerArgs more arguments for every worker (such as {@code --sync 4/4})
 */
record ChaosSoak(
    long seed,
    int ps,
    int workers,
    long targetStep,
    long stopKillingAt,
    int maxKills,
    Duration interval,
    long stepDelayMs,
    Duration deadline,
    List<String> trainerArgs) {

  private static final Pattern RESTORED = Pattern.compile("Restored model from .*model\\.ckpt-([0-9]+)");

  /** One kill: the victim, when it died, and how long until the job trained again without it. */
  record Kill(String task, long killedAtMs, long readyAfterMs, long recoveredAfterMs) {
    String kind() {
      return task.startsWith("ps") ? "ps" : task.equals("worker0") ? "chief" : "worker";
    }
  }

  /** What a soak did. */
  record Report(
      long seed, long startMs, List<Kill> kills, int recoveries, long finalStep, int checkpointsVerified,
      long wallMs) {
    String summary() {
      StringBuilder b = new StringBuilder();
      b.append(String.format(
          "chaos soak (seed %d): %d kills, %d session recoveries, final step %d, %d checkpoints verified,"
              + " %.1f s wall (%.0f steps/s); training again after a kill:",
          seed, kills.size(), recoveries, finalStep, checkpointsVerified, wallMs / 1000.0,
          finalStep * 1000.0 / wallMs));
      for (String kind : List.of("ps", "chief", "worker")) {
        List<Kill> ofKind = kills.stream().filter(k -> k.kind().equals(kind)).toList();
        List<Long> times = ofKind.stream().map(Kill::recoveredAfterMs).filter(ms -> ms >= 0).toList();
        if (!times.isEmpty()) {
          b.append(String.format(" %s x%d (%d killed again first) mean %.1f s max %.1f s;", kind, ofKind.size(),
              ofKind.size() - times.size(),
              times.stream().mapToLong(Long::longValue).average().orElse(0) / 1000.0,
              times.stream().mapToLong(Long::longValue).max().orElse(0) / 1000.0));
        }
      }
      return b.toString();
    }
  }

  /** Runs the soak in {@code modelDir} and checks it; fails with an assertion error otherwise. */
  Report run(Path modelDir) throws InterruptedException {
    long start = System.currentTimeMillis();
    long end = System.nanoTime() + deadline.toNanos();
    List<String> args = new ArrayList<>(List.of("--print-every", "20", "--step-delay-ms", Long.toString(stepDelayMs)));
    args.addAll(trainerArgs);
    Random random = new Random(seed);
    List<Kill> kills = new ArrayList<>();
    List<ChildProcess> chiefs = new ArrayList<>();
    List<ChildProcess> everyWorker = new ArrayList<>();
    List<List<ChildProcess>> witnesses = new ArrayList<>();
    try (LocalCluster cluster =
        DistributedTrainingTest.builder(modelDir, targetStep, 200, 120, ps, workers, args).reserve()) {
      cluster.startAll();
      for (int w = 0; w < workers; w++) {
        everyWorker.add(cluster.task("worker", w));
      }
      chiefs.add(cluster.task("worker", 0));
      long nextKill = System.currentTimeMillis() + interval.toMillis();
      while (kills.size() < maxKills && globalStep(cluster) < stopKillingAt) {
        assertThat(System.nanoTime()).as("the soak's deadline passed while killing").isLessThan(end);
        if (System.currentTimeMillis() < nextKill) {
          Thread.sleep(50);
          continue;
        }
        int victim = random.nextInt(ps + workers);
        String job = victim < ps ? "ps" : "worker";
        int task = victim < ps ? victim : victim - ps;
        List<ChildProcess> aliveAtKill = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
          aliveAtKill.add(cluster.task("worker", w));
        }
        long killedAt = System.currentTimeMillis();
        cluster.kill(job, task);
        ChildProcess restarted = cluster.start(job, task);
        long readyAt = System.currentTimeMillis();
        if (job.equals("worker")) {
          everyWorker.add(restarted);
          if (task == 0) {
            chiefs.add(restarted);
          }
        }
        kills.add(new Kill(job + task, killedAt, readyAt - killedAt, -1));
        // a ps task's kill is recovered when the workers of that moment train again; a worker's
        // when its new process does
        witnesses.add(job.equals("ps") ? aliveAtKill : List.of(restarted));
        nextKill = killedAt + interval.toMillis();
      }
      for (int w = 0; w < workers; w++) {
        ChildProcess p = cluster.task("worker", w);
        String done = p.awaitPrinted("DONE ", Duration.ofNanos(Math.max(1, end - System.nanoTime())));
        assertThat(number(done, "step")).as("%s: %s", p.name(), done).isGreaterThanOrEqualTo(targetStep);
      }
      List<Kill> measured = new ArrayList<>();
      for (int i = 0; i < kills.size(); i++) {
        measured.add(withRecovery(kills.get(i), witnesses.get(i)));
      }
      int recoveries = 0;
      for (ChildProcess p : everyWorker) {
        recoveries += (int) p.transcript().stream().filter(l -> l.startsWith("RECOVERED ")).count();
      }
      checkNoStepBackBeyondTheLastCheckpoint(chiefs);
      int verified = verifyCheckpoints(modelDir);
      long finalStep = Long.parseLong(
          Checkpoints.latestCheckpoint(modelDir).orElseThrow().replaceAll(".*-", ""));
      assertThat(finalStep).isGreaterThanOrEqualTo(targetStep);
      return new Report(seed, start, measured, recoveries, finalStep, verified, System.currentTimeMillis() - start);
    }
  }

  /** The newest STEP line among the running workers. */
  private long globalStep(LocalCluster cluster) {
    long best = 0;
    for (int w = 0; w < workers; w++) {
      List<String> lines = cluster.task("worker", w).transcript();
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (lines.get(i).startsWith("STEP ")) {
          best = Math.max(best, number(lines.get(i), "step"));
          break;
        }
      }
    }
    return best;
  }

  /**
   * How long after the kill the job trained again: the latest first step after the kill among the
   * witnesses (the restarted worker; for a ps task, the workers running at the kill). A witness
   * that died before it trained again (a later kill) does not count; -1 when none trained again.
   */
  private static Kill withRecovery(Kill k, List<ChildProcess> witnesses) {
    long latest = -1;
    for (ChildProcess p : witnesses) {
      for (String line : p.transcript()) {
        if (line.startsWith("FIRST ") && number(line, "at") > k.killedAtMs()) {
          latest = Math.max(latest, number(line, "at"));
          break;
        }
      }
    }
    return new Kill(k.task(), k.killedAtMs(), k.readyAfterMs(), latest < 0 ? -1 : latest - k.killedAtMs());
  }

  /**
   * Every restore of the chief (a new chief process, or a new session after a ps died) starts at
   * or after the newest checkpoint saved before it.
   */
  private static void checkNoStepBackBeyondTheLastCheckpoint(List<ChildProcess> chiefs) {
    long saved = -1;
    for (ChildProcess chief : chiefs) {
      for (String line : chief.transcript()) {
        Matcher restored = RESTORED.matcher(line);
        if (restored.find()) {
          assertThat(Long.parseLong(restored.group(1)))
              .as("%s restored an older checkpoint than the last saved (%d): %s", chief.name(), saved, line)
              .isGreaterThanOrEqualTo(saved);
        } else if (line.startsWith("RECOVERED ") && number(line, "after") >= 0) {
          assertThat(number(line, "after")).as("%s: %s", chief.name(), line).isGreaterThanOrEqualTo(saved);
        } else if (line.startsWith("SAVED ")) {
          saved = Math.max(saved, number(line, "step"));
        }
      }
    }
  }

  /**
   * Reads every kept checkpoint whole (CRCs, lengths). Its global step is at least the one in its
   * name: the name is read before the save, and the other workers go on stepping meanwhile.
   */
  private static int verifyCheckpoints(Path modelDir) {
    CheckpointState state = Checkpoints.checkpointState(modelDir).orElseThrow();
    assertThat(state.allModelCheckpointPaths()).isNotEmpty();
    for (String prefix : state.allModelCheckpointPaths()) {
      String full = Path.of(prefix).isAbsolute() ? prefix : modelDir.resolve(prefix).toString();
      try (CheckpointReader reader = CheckpointReader.open(full)) {
        reader.verify();
        try (TInt64 step = (TInt64) reader.read("global_step")) {
          assertThat(step.getLong()).as(full).isGreaterThanOrEqualTo(Long.parseLong(full.replaceAll(".*-", "")));
        }
      }
    }
    return state.allModelCheckpointPaths().size();
  }
}

package dev.tfmon.bench;

import dev.tfmon.cluster.LocalCluster;
import dev.tfmon.process.ChildProcess;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.ChiefSessionCreator;
import dev.tfmon.session.MonitoredSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Graph;

/**
 * Distributed training on a {@link LocalCluster} (issue #7), not run in CI:
 *
 * <ol>
 *   <li>throughput in global steps/s of the benchmark model ({@link ClusterBenchWorker.Model})
 *       trained by a single in-process MonitoredSession, and by 1 and 2 worker tasks with the
 *       variables on 1 ps task (between-graph replication over gRPC on loopback);
 *   <li>recovery after the ps task is killed (SIGKILL) and restarted on the same port, repeated:
 *       how long the ps is down, and from the ps serving again to each worker's first step.
 * </ol>
 *
 * <p>Usage: {@code ClusterBench [steps=3000] [hidden=64] [restarts=3] [maxBackoffMs=1000]}.
 */
public final class ClusterBench {
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final long WARMUP = 300;

  private ClusterBench() {}

  public static void main(String[] args) throws Exception {
    long steps = args.length > 0 ? Long.parseLong(args[0]) : 3000;
    int hidden = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int restarts = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    long maxBackoffMs = args.length > 3 ? Long.parseLong(args[3]) : 1000;
    System.out.printf(
        "steps=%d hidden=%d restarts=%d maxBackoffMs=%d cores=%d%n",
        steps, hidden, restarts, maxBackoffMs, Runtime.getRuntime().availableProcessors());

    double single = inProcess(steps, hidden);
    double one = cluster(1, steps, hidden, maxBackoffMs);
    double two = cluster(2, steps, hidden, maxBackoffMs);
    System.out.printf("| setup | global steps/s | vs in-process |%n|---|---:|---:|%n");
    System.out.printf("| in-process MonitoredSession | %.0f | 1.00× |%n", single);
    System.out.printf("| 1 ps + 1 worker | %.0f | %.2f× |%n", one, one / single);
    System.out.printf("| 1 ps + 2 workers | %.0f | %.2f× |%n", two, two / single);

    recovery(restarts, hidden, maxBackoffMs);
  }

  private static double inProcess(long steps, int hidden) {
    try (Graph g = new Graph()) {
      ClusterBenchWorker.Model model = ClusterBenchWorker.Model.build(g, null, 0, hidden);
      SessionRunArgs run = SessionRunArgs.builder().fetch(model.step()).target(model.train()).build();
      try (MonitoredSession session =
          MonitoredSession.builder(ChiefSessionCreator.builder(Scaffold.of(g)).build()).build()) {
        for (long i = 0; i < WARMUP; i++) {
          session.run(run).close();
        }
        long t0 = System.nanoTime();
        for (long i = 0; i < steps; i++) {
          session.run(run).close();
        }
        return steps / ((System.nanoTime() - t0) / 1e9);
      }
    }
  }

  private static LocalCluster.Builder builder(
      int workers, long lastStep, long saveEvery, int hidden, long maxBackoffMs, Path dir) {
    List<String> jvm = List.of("-Xmx512m", "-XX:+UseSerialGC");
    LocalCluster.TaskCommand server = LocalCluster.serverCommand(jvm);
    return LocalCluster.builder()
        .ps(1)
        .workers(workers)
        .startTimeout(TIMEOUT)
        .command(
            (spec, job, task) ->
                job.equals("ps")
                    ? server.command(spec, job, task)
                    : ChildProcess.javaCommand(
                        jvm,
                        ClusterBenchWorker.class.getName(),
                        List.of(
                            "--cluster", spec.toCompactString(),
                            "--task", Integer.toString(task),
                            "--last-step", Long.toString(lastStep),
                            "--mark-step", Long.toString(WARMUP),
                            "--save-every", Long.toString(saveEvery),
                            "--hidden", Integer.toString(hidden),
                            "--max-backoff-ms", Long.toString(maxBackoffMs),
                            "--model-dir", dir.toString())));
  }

  /** Global steps/s from the global step passing WARMUP to it reaching WARMUP + steps. */
  private static double cluster(int workers, long steps, int hidden, long maxBackoffMs)
      throws Exception {
    Path dir = Files.createTempDirectory("cluster-bench");
    try (LocalCluster cluster =
        builder(workers, WARMUP + steps, Long.MAX_VALUE / 2, hidden, maxBackoffMs, dir).start()) {
      long markAt = Long.MAX_VALUE;
      long doneAt = 0;
      long doneStep = 0;
      for (int t = 0; t < workers; t++) {
        ChildProcess p = cluster.task("worker", t);
        markAt = Math.min(markAt, number(p.awaitLine("MARK ", TIMEOUT), "at"));
        String done = p.awaitLine("DONE ", TIMEOUT);
        doneAt = Math.max(doneAt, number(done, "at"));
        doneStep = Math.max(doneStep, number(done, "step"));
      }
      return (doneStep - WARMUP) / ((doneAt - markAt) / 1e3);
    }
  }

  private static void recovery(int restarts, int hidden, long maxBackoffMs) throws Exception {
    Path dir = Files.createTempDirectory("cluster-bench-recovery");
    long[] down = new long[restarts];
    long[] chief = new long[restarts];
    long[] worker = new long[restarts];
    try (LocalCluster cluster = builder(2, Long.MAX_VALUE / 2, 200, hidden, maxBackoffMs, dir).start()) {
      ChildProcess c = cluster.task("worker", 0);
      ChildProcess w = cluster.task("worker", 1);
      for (int r = 0; r < restarts; r++) {
        c.awaitLine("SAVED ", TIMEOUT);
        c.awaitLine("SAVED ", TIMEOUT); // some training on the current session first
        long killedAt = System.currentTimeMillis();
        cluster.kill("ps", 0);
        cluster.start("ps", 0);
        long upAt = System.currentTimeMillis();
        down[r] = upAt - killedAt;
        chief[r] = number(awaitSession(c, r + 2), "at") - upAt;
        worker[r] = number(awaitSession(w, r + 2), "at") - upAt;
      }
    }
    System.out.printf(
        "%n| ps restart (%d×, max backoff %d ms) | median | min..max |%n|---|---:|---:|%n",
        restarts, maxBackoffMs);
    row("ps down (kill to serving again)", down);
    row("ps serving to chief's first step", chief);
    row("ps serving to worker's first step", worker);
  }

  private static String awaitSession(ChildProcess p, int session) {
    while (true) {
      String line = p.awaitLine("FIRST ", TIMEOUT);
      if (number(line, "session") >= session) {
        return line;
      }
    }
  }

  private static void row(String name, long[] ms) {
    long[] s = ms.clone();
    Arrays.sort(s);
    System.out.printf("| %s | %d ms | %d..%d ms |%n", name, s[s.length / 2], s[0], s[s.length - 1]);
  }

  private static long number(String line, String key) {
    Matcher m = Pattern.compile("\\b" + key + "=(-?[0-9]+)").matcher(line);
    if (!m.find()) {
      throw new IllegalStateException("no " + key + "= in \"" + line + "\"");
    }
    return Long.parseLong(m.group(1));
  }

}

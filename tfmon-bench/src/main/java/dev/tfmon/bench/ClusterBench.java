package dev.tfmon.bench;

import dev.tfmon.cluster.LocalCluster;
import dev.tfmon.process.ChildProcess;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.ChiefSessionCreator;
import dev.tfmon.session.MonitoredSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Graph;

/**
 * Distributed training on a {@link LocalCluster} (issues #7 and #14), not run in CI:
 *
 * <ol>
 *   <li>throughput of the benchmark model ({@link ClusterBenchWorker.Model}) trained by a single
 *       in-process MonitoredSession, and by 1 ps task and N worker tasks for each N of {@code
 *       workers}, asynchronously and as synchronous replicas (aggregating all N): global steps/s,
 *       worker runs/s, the mean time of a worker's run (against the in-process step: the per-step
 *       cost of gRPC), and the resident memory (VmRSS) of the ps and worker processes;
 *   <li>the start-up time of a task process: from launch to serving (JVM, TensorFlow, gRPC server),
 *       and for a worker from serving to its first step;
 *   <li>recovery after the ps task is killed (SIGKILL) and restarted on the same port, repeated:
 *       how long the ps is down, and from the ps serving again to each worker's first step.
 * </ol>
 *
 * <p>Usage: {@code ClusterBench [steps=3000] [hidden=64] [restarts=3] [maxBackoffMs=1000]
 * [workers=1,2] [modes=async]} (modes: {@code async}, {@code sync} or {@code async,sync}).
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
    List<Integer> workerCounts =
        Arrays.stream((args.length > 4 ? args[4] : "1,2").split(",")).map(Integer::valueOf).toList();
    List<String> modes = List.of((args.length > 5 ? args[5] : "async").split(","));
    System.out.printf(
        "steps=%d hidden=%d restarts=%d maxBackoffMs=%d workers=%s modes=%s cores=%d%n",
        steps, hidden, restarts, maxBackoffMs, workerCounts, modes, Runtime.getRuntime().availableProcessors());

    double single = inProcess(steps, hidden);
    double inProcessMs = 1000.0 / single;
    List<String> rows = new ArrayList<>();
    List<long[]> startups = new ArrayList<>();
    for (String mode : modes) {
      for (int n : workerCounts) {
        Scaling r = cluster(n, mode.equals("sync"), steps, hidden, maxBackoffMs);
        startups.add(r.startup());
        rows.add(String.format(
            "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f |",
            mode, n, r.globalStepsPerSec(), r.runsPerSec(), r.meanRunMs(), r.meanRunMs() - inProcessMs,
            r.psRssMb(), r.workerRssMb()));
      }
    }
    System.out.printf("%nin-process MonitoredSession: %.0f steps/s, %.3f ms a step%n", single, inProcessMs);
    System.out.println(
        "| mode | workers | global steps/s | worker runs/s (all) | ms per worker run | minus in-process step |"
            + " ps RSS MB | worker RSS MB (mean) |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
    long[] ps = startups.stream().mapToLong(a -> a[0]).sorted().toArray();
    long[] worker = startups.stream().mapToLong(a -> a[1]).sorted().toArray();
    long[] firstStep = startups.stream().mapToLong(a -> a[2]).filter(ms -> ms >= 0).sorted().toArray();
    System.out.printf("%n| task start-up (%d clusters) | median | min..max |%n|---|---:|---:|%n", startups.size());
    row("ps: launch to serving", ps);
    row("worker: launch to serving", worker);
    if (firstStep.length > 0) {
      row("chief (async): serving to its first step", firstStep);
    }

    if (restarts > 0) {
      recovery(restarts, hidden, maxBackoffMs);
    }
  }

  /** One cluster's figures; {@code startup}: ps and worker launch-to-serving, chief serving-to-step (ms). */
  private record Scaling(
      double globalStepsPerSec, double runsPerSec, double meanRunMs, double psRssMb, double workerRssMb,
      long[] startup) {}

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
      int workers, long lastStep, long saveEvery, int hidden, long maxBackoffMs, Path dir, boolean sync) {
    List<String> jvm = List.of("-Xmx512m", "-XX:+UseSerialGC");
    LocalCluster.TaskCommand server = LocalCluster.serverCommand(jvm);
    return LocalCluster.builder()
        .ps(1)
        .workers(workers)
        .startTimeout(TIMEOUT)
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
                          "--mark-step", Long.toString(WARMUP),
                          "--save-every", Long.toString(saveEvery),
                          "--hidden", Integer.toString(hidden),
                          "--max-backoff-ms", Long.toString(maxBackoffMs),
                          "--model-dir", dir.toString()));
              if (sync) {
                args.addAll(List.of("--sync", workers + "/" + workers));
              }
              return ChildProcess.javaCommand(jvm, ClusterBenchWorker.class.getName(), args);
            });
  }

  /**
   * Starts 1 ps and {@code workers} workers one after another (timing each start), then measures
   * from the global step passing WARMUP to it reaching WARMUP + steps.
   */
  private static Scaling cluster(int workers, boolean sync, long steps, int hidden, long maxBackoffMs)
      throws Exception {
    Path dir = Files.createTempDirectory("cluster-bench");
    try (LocalCluster cluster =
        builder(workers, WARMUP + steps, Long.MAX_VALUE / 2, hidden, maxBackoffMs, dir, sync).reserve()) {
      long t0 = System.currentTimeMillis();
      cluster.start("ps", 0);
      long psStart = System.currentTimeMillis() - t0;
      long workerStart = 0;
      long chiefFirst = 0;
      for (int t = 0; t < workers; t++) {
        long w0 = System.currentTimeMillis();
        ChildProcess p = cluster.start("worker", t);
        long serving = System.currentTimeMillis();
        workerStart = Math.max(workerStart, serving - w0);
        if (t == 0 && !sync) {
          // a synchronous chief's first step waits for the other replicas, so only async says this
          chiefFirst = number(p.awaitPrinted("FIRST ", TIMEOUT), "at") - serving;
        }
      }
      long markAt = Long.MAX_VALUE;
      double psRss = Double.NaN;
      double workerRss = 0;
      int sampled = 0;
      for (int t = 0; t < workers; t++) {
        // each process's resident memory while it trains, read as soon as it passed the warm-up
        markAt = Math.min(markAt, number(cluster.task("worker", t).awaitPrinted("MARK ", TIMEOUT), "at"));
        double rss = rssMb(cluster.task("worker", t));
        if (!Double.isNaN(rss)) {
          workerRss += rss;
          sampled++;
        }
        if (t == 0) {
          psRss = rssMb(cluster.task("ps", 0));
        }
      }
      workerRss = sampled == 0 ? Double.NaN : workerRss / sampled;
      long doneAt = 0;
      long doneStep = 0;
      long runs = 0;
      double runMs = 0;
      for (int t = 0; t < workers; t++) {
        String done = cluster.task("worker", t).awaitPrinted("DONE ", TIMEOUT);
        doneAt = Math.max(doneAt, number(done, "at"));
        doneStep = Math.max(doneStep, number(done, "step"));
        runs += number(done, "runs");
        // each worker's mean run time, averaged over the workers
        runMs += number(done, "runMs") / (double) Math.max(1, number(done, "runs")) / workers;
      }
      double seconds = (doneAt - markAt) / 1e3;
      return new Scaling((doneStep - WARMUP) / seconds, runs / seconds, runMs, psRss, workerRss,
          new long[] {psStart, workerStart, sync ? -1 : chiefFirst});
    }
  }

  /** The process's resident set (VmRSS of /proc/PID/status) in MB; NaN once it has exited. */
  private static double rssMb(ChildProcess p) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.process().pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException e) {
      // gone already
    }
    return Double.NaN;
  }

  private static void recovery(int restarts, int hidden, long maxBackoffMs) throws Exception {
    Path dir = Files.createTempDirectory("cluster-bench-recovery");
    long[] down = new long[restarts];
    long[] chief = new long[restarts];
    long[] worker = new long[restarts];
    try (LocalCluster cluster = builder(2, Long.MAX_VALUE / 2, 200, hidden, maxBackoffMs, dir, false).start()) {
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

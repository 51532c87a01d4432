package dev.tfmon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs {@link StepLoopBenchmark} in interleaved rounds and prints issue 16's ratio table: each
 * round runs every loop once (one JMH fork each, in an order that rotates), so every loop of a
 * round shares that round's machine load; a ratio is the median over rounds of (loop ÷ raw loop of
 * the same round), in wall time (JMH's score) and in process CPU time.
 *
 * <p>Usage: {@code StepLoopRatios [rounds=5] [sizes=small,large] [models=java,metagraph]
 * [warmupIterations=3] [measurementIterations=5] [secondsPerIteration=1] [N=100]}, N being the
 * opt-in mode's {@code fetchStepEveryNRuns}. The system property {@code tfmon.bench.loops} (a
 * comma-separated list, raw first) runs only some loops, e.g. against an older tfmon-core jar that
 * lacks the opt-in mode.
 */
public final class StepLoopRatios {
  private StepLoopRatios() {}

  static final String[] LOOPS = {
    "raw", "rawWithStepFetch", "monitoredNoHook", "mtsDefaultHooks", "mtsFetchStepEveryN"
  };
  static final String[] LABELS = {
    "NativeSession loop (raw)",
    "raw + global step fetch",
    "MonitoredSession, no hook",
    "MonitoredTrainingSession, default hooks",
    "MTS, default hooks, fetchStepEveryNRuns(N)"
  };

  private static String fetchStepEveryN;

  public static void main(String[] args) throws IOException, RunnerException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    String[] sizes = (args.length > 1 ? args[1] : "small,large").split(",");
    String[] models = (args.length > 2 ? args[2] : "java,metagraph").split(",");
    int warmups = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    int measurements = args.length > 4 ? Integer.parseInt(args[4]) : 5;
    int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 1;
    fetchStepEveryN = args.length > 6 ? args[6] : "100";
    System.out.printf(
        Locale.ROOT,
        "rounds=%d warmup=%dx%ds measurement=%dx%ds N=%s load average at start: %s%n",
        rounds, warmups, seconds, measurements, seconds, fetchStepEveryN, loadAverage());
    for (String size : sizes) {
      for (String model : models) {
        measure(size, model, rounds, warmups, measurements, seconds);
      }
    }
    System.out.println("load average at end: " + loadAverage());
  }

  private static void measure(
      String size, String model, int rounds, int warmups, int measurements, int seconds)
      throws IOException, RunnerException {
    double[][] wall = new double[LOOPS.length][rounds];
    double[][] cpu = new double[LOOPS.length][rounds];
    List<Integer> chosen = chosenLoops();
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < chosen.size(); k++) {
        int v = chosen.get((k + round) % chosen.size());
        Path cpuFile = Files.createTempFile("tfmon-jmh-cpu", ".txt");
        try {
          ChainedOptionsBuilder options =
              new OptionsBuilder()
                  .include(StepLoopBenchmark.class.getName() + "\\." + LOOPS[v] + "$")
                  .param("size", size)
                  .param("model", model)
                  .param("fetchStepEveryN", fetchStepEveryN)
                  .forks(1)
                  .warmupIterations(warmups)
                  .warmupTime(TimeValue.seconds(seconds))
                  .measurementIterations(measurements)
                  .measurementTime(TimeValue.seconds(seconds))
                  // replaces the @Fork annotation's arguments, so repeat them
                  .jvmArgsAppend(
                      "-Xmx1g",
                      "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                      "-Dtfmon.bench.cpuFile=" + cpuFile)
                  .verbosity(VerboseMode.SILENT);
          RunResult result = new Runner(options.build()).runSingle();
          wall[v][round] = result.getPrimaryResult().getScore();
          String[] line = Files.readString(cpuFile).trim().split(" ");
          cpu[v][round] = Double.parseDouble(line[line.length - 1]);
        } finally {
          Files.deleteIfExists(cpuFile);
        }
      }
      System.out.printf(
          Locale.ROOT, "  %s/%s round %d: raw %.1f µs, load %s%n", size, model, round + 1, wall[0][round], loadAverage());
    }
    print(size, model, wall, cpu, chosen);
  }

  private static List<Integer> chosenLoops() {
    String only = System.getProperty("tfmon.bench.loops");
    List<Integer> chosen = new ArrayList<>();
    for (int v = 0; v < LOOPS.length; v++) {
      if (only == null || List.of(only.split(",")).contains(LOOPS[v])) {
        chosen.add(v);
      }
    }
    if (chosen.isEmpty() || chosen.get(0) != 0) {
      throw new IllegalArgumentException(
          "tfmon.bench.loops must include raw (the baseline), but was '" + only + "'");
    }
    return chosen;
  }

  private static void print(
      String size, String model, double[][] wall, double[][] cpu, List<Integer> chosen) {
    System.out.printf(Locale.ROOT, "%n%s step, %s model%n", size, model);
    System.out.println(
        "| loop | wall µs/step (median) | wall vs raw (median, min..max) | CPU µs/step | CPU vs raw |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (int v : chosen) {
      double[] wallRatios = ratios(wall[v], wall[0]);
      double[] cpuRatios = ratios(cpu[v], cpu[0]);
      System.out.printf(
          Locale.ROOT,
          "| %s | %.1f | %.3f× (%.3f..%.3f) | %.1f | %.3f× |%n",
          LABELS[v],
          median(wall[v]),
          median(wallRatios),
          min(wallRatios),
          max(wallRatios),
          median(cpu[v]),
          median(cpuRatios));
    }
  }

  static double[] ratios(double[] values, double[] base) {
    double[] r = new double[values.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = values[i] / base[i];
    }
    return r;
  }

  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static double min(double[] values) {
    return Arrays.stream(values).min().orElse(Double.NaN);
  }

  private static double max(double[] values) {
    return Arrays.stream(values).max().orElse(Double.NaN);
  }

  static String loadAverage() {
    try {
      List<String> parts = new ArrayList<>(List.of(Files.readString(Path.of("/proc/loadavg")).split(" ")));
      return String.join(" ", parts.subList(0, 3));
    } catch (IOException e) {
      return "unknown";
    }
  }
}

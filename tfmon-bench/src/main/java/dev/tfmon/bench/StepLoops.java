package dev.tfmon.bench;

import java.util.Arrays;

/**
 * The measuring harness shared by the step-loop benchmarks: each variant is a loop of N steps;
 * rounds run every variant once, in an order that rotates so none always runs first, after a
 * warm-up of a fifth of a round each. Per-step wall time and the process's CPU time (all threads,
 * TensorFlow's included, which other processes on a shared machine disturb less) are kept per
 * round.
 */
final class StepLoops {
  private StepLoops() {}

  /** N steps of one variant. */
  interface Loop {
    void steps(int n);
  }

  /**
   * Per-step figures, indexed [variant][round], in microseconds.
   *
   * @param wall wall-clock time per step
   * @param cpu process CPU time per step
   */
  record Timings(double[][] wall, double[][] cpu) {}

  static Timings measure(Loop[] loops, int steps, int rounds, int minWarmUp) {
    for (Loop l : loops) {
      l.steps(Math.max(minWarmUp, steps / 5));
    }
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    double[][] wall = new double[loops.length][rounds];
    double[][] cpu = new double[loops.length][rounds];
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < loops.length; k++) {
        int v = (k + round) % loops.length;
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        loops[v].steps(steps);
        wall[v][round] = (System.nanoTime() - t0) / 1e3 / steps;
        cpu[v][round] = (os.getProcessCpuTime() - c0) / 1e3 / steps;
      }
    }
    return new Timings(wall, cpu);
  }

  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}

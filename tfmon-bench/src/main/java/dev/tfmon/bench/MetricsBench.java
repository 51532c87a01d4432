package dev.tfmon.bench;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.metrics.StallWatchdog;
import dev.tfmon.metrics.TrainingMeters;
import dev.tfmon.metrics.TrainingMetricsHook;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.ChiefSessionCreator;
import dev.tfmon.session.MonitoredSession;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The overhead of issue #8's metrics on the step loop of a small training graph
 * (about 60 µs a step on the reference machine), in one process: a {@code MonitoredSession} with
 * no hook ("off") against one with the {@link TrainingMetricsHook} (MXBean registered), and one
 * with everything on (the metrics hook with the loss as a scalar, the {@link StallWatchdog}, and
 * {@link TrainingMeters} bound to a registry), once fetching the global step and the loss in every
 * run and once in one run out of ten. Variants rotate within each round; a ratio is the median of
 * the per-round ratios against "off" in the same round, for wall time and process CPU time.
 *
 * <p>Usage: {@code MetricsBench [stepsPerRound] [rounds] [hidden]}.
 */
public final class MetricsBench {
  private MetricsBench() {}

  static volatile double sink;

  // Over 80 lines on purpose: one measured run read top to bottom (the graph, the five variants in
  // the order they are timed, the table), so what is compared with what stays visible in one place.
  public static void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 16)));
      Placeholder<TFloat32> y = tf.withName("y").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      Variable<TFloat32> w1 = tf.withName("w1").variable(tf.random.truncatedNormal(tf.constant(new long[] {16, hidden}), TFloat32.class));
      Variable<TFloat32> w2 = tf.withName("w2").variable(tf.random.truncatedNormal(tf.constant(new long[] {hidden, 1}), TFloat32.class));
      var h = tf.nn.relu(tf.linalg.matMul(x, w1));
      var loss = tf.withName("loss").math.mean(tf.math.square(tf.math.sub(tf.linalg.matMul(h, w2), y)), tf.constant(new int[] {0, 1}));
      Operation train = TrainOps.minimize(new GradientDescent(g, 0.01f), loss, "train_op");
      // Created before any session finalizes the graph, so every hook's begin() finds it cached.
      GlobalStep.readTensor(g);

      float[][] xs = new float[32][16];
      float[][] ys = new float[32][1];
      Random rnd = new Random(1);
      for (float[] row : xs) {
        for (int j = 0; j < row.length; j++) {
          row[j] = (float) rnd.nextGaussian();
        }
      }
      for (float[] row : ys) {
        row[0] = (float) rnd.nextGaussian();
      }
      Scaffold scaffold = Scaffold.builder(g).build();
      TrainingMetricsHook metricsOnly = TrainingMetricsHook.builder(g, "bench-metrics").build();
      TrainingMetricsHook metricsFull = TrainingMetricsHook.builder(g, "bench-full").scalar("loss", loss).fetchEveryNRuns(1).build();
      TrainingMetricsHook metricsSparse =
          TrainingMetricsHook.builder(g, "bench-full-every-10").scalar("loss", loss).build();
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (TFloat32 xt = TFloat32.tensorOf(StdArrays.ndCopyOf(xs));
          TFloat32 yt = TFloat32.tensorOf(StdArrays.ndCopyOf(ys));
          TrainingMetricsHook closeOnly = metricsOnly;
          TrainingMetricsHook closeFull = metricsFull;
          TrainingMetricsHook closeSparse = metricsSparse;
          StallWatchdog watchdog2 =
              StallWatchdog.builder().stallTimeout(Duration.ofMinutes(5)).stats(metricsSparse.stats()).build();
          TrainingMeters meters2 = new TrainingMeters(metricsSparse.stats());
          StallWatchdog watchdog =
              StallWatchdog.builder().stallTimeout(Duration.ofMinutes(5)).stats(metricsFull.stats()).build();
          TrainingMeters meters = new TrainingMeters(metricsFull.stats());
          MonitoredSession off = MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).build()).build();
          MonitoredSession on =
              MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).build())
                  .hook(metricsOnly)
                  .recoveryListener(metricsOnly.stats())
                  .build();
          MonitoredSession full =
              MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).build())
                  .hooks(List.<SessionRunHook>of(watchdog, metricsFull))
                  .recoveryListener(metricsFull.stats())
                  .build();
          MonitoredSession sparse =
              MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).build())
                  .hooks(List.<SessionRunHook>of(watchdog2, metricsSparse))
                  .recoveryListener(metricsSparse.stats())
                  .build()) {
        metricsOnly.attach(on);
        metricsFull.attach(full);
        metricsSparse.attach(sparse);
        meters.bindTo(registry);
        meters2.bindTo(registry);
        SessionRunArgs stepArgs = SessionRunArgs.builder().feed(x, xt).feed(y, yt).fetch(loss).target(train).build();

        String[] names = {
          "MonitoredSession, no hook (off)",
          "+ TrainingMetricsHook (MXBean; fetches 1 run in 10, the default)",
          "+ all: metrics hook + loss scalar + StallWatchdog + TrainingMeters, fetchEveryNRuns(1)",
          "+ all, fetchEveryNRuns(10) (the default)"
        };
        List<MonitoredSession> sessions = new ArrayList<>(List.of(off, on, full, sparse));
        StepLoops.Loop[] loops = new StepLoops.Loop[sessions.size()];
        for (int k = 0; k < loops.length; k++) {
          MonitoredSession s = sessions.get(k);
          loops[k] =
              n -> {
                for (int i = 0; i < n; i++) {
                  try (RunResult r = s.run(stepArgs)) {
                    sink += ((TFloat32) r.get(0)).getFloat();
                  }
                }
              };
        }
        StepLoops.Timings t = StepLoops.measure(loops, steps, rounds, 1000);
        double[][] perStep = t.wall();
        double[][] cpuPerStep = t.cpu();
        System.out.printf("steps/round=%d rounds=%d hidden=%d%n", steps, rounds, hidden);
        System.out.printf(
            "| loop | wall µs/step (median) | wall vs off (median of per-round ratios, min..max) | CPU µs/step (median) | CPU vs off (median of per-round ratios) |%n"
                + "|---|---:|---:|---:|---:|%n");
        for (int v = 0; v < loops.length; v++) {
          double[] wall = ratios(perStep[v], perStep[0]);
          double[] cpu = ratios(cpuPerStep[v], cpuPerStep[0]);
          System.out.printf(
              "| %s | %.1f | %.3f× (%.3f..%.3f) | %.1f | %.3f× |%n",
              names[v], median(perStep[v]), median(wall), wall[0], wall[wall.length - 1], median(cpuPerStep[v]), median(cpu));
        }
        System.out.printf(
            "check: global step %d, %.0f steps/s, stalls %d, meters %d%n",
            metricsFull.stats().globalStep(),
            metricsFull.stats().stepsPerSecond(),
            metricsFull.stats().stalls(),
            registry.getMeters().size());
      }
    }
  }

  /** Per-round ratios of {@code a} to {@code b} (same round, so load changes cancel), sorted. */
  static double[] ratios(double[] a, double[] b) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[i] / b[i];
    }
    Arrays.sort(r);
    return r;
  }

  static double median(double[] values) {
    return StepLoops.median(values);
  }
}

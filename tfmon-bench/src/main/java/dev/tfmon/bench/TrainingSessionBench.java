package dev.tfmon.bench;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.summary.SummaryWriterCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.tensorflow.Graph;
import org.tensorflow.types.TFloat32;

/**
 * {@code MonitoredTrainingSession} with its default hooks (step counter and summaries every 100
 * steps, checkpoints every 600 s, into a temporary directory) against the raw {@code
 * NativeSession} loop on the same graph, for a small step (batch 32, hidden 64: about 60 µs) and a
 * large one (batch 256, hidden 2048: over 1 ms). Each figure is the median per-step time over
 * rounds whose order alternates.
 *
 * <p>Usage: {@code TrainingSessionBench [smallSteps=20000] [largeSteps=2000] [rounds=7]}.
 */
public final class TrainingSessionBench {
  private TrainingSessionBench() {}

  public static void main(String[] args) throws IOException {
    int small = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int large = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
    System.out.println("| step | loop | µs/step (median) | min..max | vs NativeSession |");
    System.out.println("|---|---|---:|---:|---:|");
    measure("small (batch 32, hidden 64)", 32, 64, small, rounds);
    measure("large (batch 256, hidden 2048)", 256, 2048, large, rounds);
  }

  private static void measure(String label, int batch, int hidden, int steps, int rounds) throws IOException {
    Path dir = Files.createTempDirectory("tfmon-bench-mts");
    try (Graph g = new Graph()) {
      TrainingModel m = TrainingModel.build(g, batch, hidden);
      try (TFloat32 xt = m.xTensor();
          TFloat32 yt = m.yTensor();
          MonitoredSession mts = MonitoredTrainingSession.builder(g).checkpointDir(dir).build();
          MonitoredSession plain = MonitoredSession.builder(g).build();
          NativeSession raw = NativeSession.open(g)) {
        var stepRead = dev.tfmon.graph.GlobalStep.readTensor(g);
        raw.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        SessionRunArgs stepArgs =
            SessionRunArgs.builder().feed(m.x(), xt).feed(m.y(), yt).fetch(m.loss()).target(m.train()).build();
        StepLoops.Loop[] loops = {
          n -> {
            for (int i = 0; i < n; i++) {
              try (RunResult r = raw.runner().feed(m.x(), xt).feed(m.y(), yt).fetch(m.loss()).addTarget(m.train()).run()) {
                sink += ((TFloat32) r.get(0)).getFloat();
              }
            }
          },
          n -> {
            for (int i = 0; i < n; i++) {
              try (RunResult r = mts.run(stepArgs)) {
                sink += ((TFloat32) r.get(0)).getFloat();
              }
            }
          },
          // What the default hooks add to each run: one fetch of the global step's read copy.
          n -> {
            for (int i = 0; i < n; i++) {
              try (RunResult r =
                  raw.runner().feed(m.x(), xt).feed(m.y(), yt).fetch(m.loss()).fetch(stepRead).addTarget(m.train()).run()) {
                sink += ((TFloat32) r.get(0)).getFloat();
              }
            }
          },
          n -> {
            for (int i = 0; i < n; i++) {
              try (RunResult r = plain.run(stepArgs)) {
                sink += ((TFloat32) r.get(0)).getFloat();
              }
            }
          },
        };
        String[] names = {
          "NativeSession (raw)",
          "MonitoredTrainingSession, default hooks",
          "NativeSession + global step fetch",
          "MonitoredSession, no hook"
        };
        double[][] perStep = StepLoops.measure(loops, steps, rounds, 200).wall();
        double base = median(perStep[0]);
        for (int v = 0; v < loops.length; v++) {
          double[] s = perStep[v].clone();
          Arrays.sort(s);
          System.out.printf(
              "| %s | %s | %.1f | %.1f..%.1f | %.3f× |%n",
              label, names[v], median(perStep[v]), s[0], s[s.length - 1], median(perStep[v]) / base);
        }
      }
    } finally {
      SummaryWriterCache.clear();
    }
  }

  static volatile double sink;

  static double median(double[] values) {
    return StepLoops.median(values);
  }
}

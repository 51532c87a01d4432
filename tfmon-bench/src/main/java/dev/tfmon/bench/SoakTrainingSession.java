package dev.tfmon.bench;

import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.summary.SummaryWriterCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.tensorflow.Graph;
import org.tensorflow.types.TFloat32;

/**
 * A soak run: N steps of {@code MonitoredTrainingSession} with its default hooks on short
 * intervals (checkpoints, summaries and step counts every K steps), sampling the process's
 * resident memory ({@code VmRSS} of {@code /proc/self/status}). Prints one line per sample and the
 * growth after warm-up (the first tenth of the steps).
 *
 * <p>Usage: {@code SoakTrainingSession [steps=200000] [every=1000] [sampleEvery=5000]}.
 */
public final class SoakTrainingSession {
  private SoakTrainingSession() {}

  public static void main(String[] args) throws IOException {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int every = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int sampleEvery = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
    int warmUp = steps / 10;
    Path dir = Files.createTempDirectory("tfmon-soak");
    long warmRss = -1;
    long maxAfterWarm = -1;
    long t0 = System.nanoTime();
    try (Graph g = new Graph()) {
      TrainingModel m = TrainingModel.build(g, 32, 64);
      try (TFloat32 xt = m.xTensor();
          TFloat32 yt = m.yTensor();
          MonitoredSession session =
              MonitoredTrainingSession.builder(g)
                  .checkpointDir(dir)
                  .saveCheckpointSteps(every)
                  .saveSummariesSteps(every)
                  .logStepCountSteps(every)
                  .build()) {
        SessionRunArgs stepArgs =
            SessionRunArgs.builder().feed(m.x(), xt).feed(m.y(), yt).fetch(m.loss()).target(m.train()).build();
        System.out.printf("soak: %d steps, hooks every %d steps, into %s%n", steps, every, dir);
        for (int i = 1; i <= steps; i++) {
          try (RunResult r = session.run(stepArgs)) {
            sink += ((TFloat32) r.get(0)).getFloat();
          }
          if (i % sampleEvery == 0) {
            long rss = rssKb();
            if (i == warmUp) {
              warmRss = rss;
            } else if (i > warmUp) {
              maxAfterWarm = Math.max(maxAfterWarm, rss);
            }
            System.out.printf(
                "step %7d  rss %7.1f MB  files %d  elapsed %.1f s%n",
                i, rss / 1024.0, fileCount(dir), (System.nanoTime() - t0) / 1e9);
          }
        }
      }
    } finally {
      SummaryWriterCache.clear();
    }
    System.out.printf(
        "result: steps=%d rss after warm-up (step %d) %.1f MB, max later %.1f MB, growth %.1f MB, %.1f s total%n",
        steps, warmUp, warmRss / 1024.0, maxAfterWarm / 1024.0, (maxAfterWarm - warmRss) / 1024.0, (System.nanoTime() - t0) / 1e9);
  }

  static volatile double sink;

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS line in /proc/self/status");
  }

  private static long fileCount(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }
}

package dev.tfmon.bench;

import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.checkpoint.MetaGraphs;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.runtime.NativeSession;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.tensorflow.Graph;

/**
 * Issue 16's restore comparison: tfmon's {@code Saver.restore} against Python TensorFlow 1.x's
 * {@code saver.restore} on the same checkpoint files (written by {@code
 * python/make_restore_checkpoints.py}: 256 MiB and 139 KiB). Each round times {@code repeats}
 * Java restores (median), then runs {@code python/time_restore.py} for one round of as many
 * restores (its own median, timed inside Python, so its start-up does not count); the ratio is the
 * median over rounds of Java ÷ Python of the same round. Reads come from a warm page cache.
 *
 * <p>Usage: {@code RestoreBench CHECKPOINT_DIR... [--rounds 7] [--repeats 5] [--warmup-seconds 2]
 * [--python python3] [--script tfmon-bench/python/time_restore.py]}; each directory holds {@code
 * model.ckpt.*}. Both sides first restore for {@code --warmup-seconds} (at least three times): the
 * Java side once per benchmark (its JIT then has compiled the restore path), the Python side in
 * every round's process.
 */
public final class RestoreBench {
  private RestoreBench() {}

  public static void main(String[] args) throws Exception {
    List<Path> dirs = new ArrayList<>();
    int rounds = 7;
    int repeats = 5;
    double warmUpSeconds = 2;
    String python = "python3";
    String script = "tfmon-bench/python/time_restore.py";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--warmup-seconds" -> warmUpSeconds = Double.parseDouble(args[++i]);
        case "--python" -> python = args[++i];
        case "--script" -> script = args[++i];
        default -> dirs.add(Path.of(args[i]));
      }
    }
    if (dirs.isEmpty()) {
      throw new IllegalArgumentException(
          "expected at least one checkpoint directory (made by python/make_restore_checkpoints.py)");
    }
    System.out.printf(
        Locale.ROOT, "rounds=%d repeats=%d load average at start: %s%n", rounds, repeats, StepLoopRatios.loadAverage());
    System.out.println(
        "| checkpoint | data | Java restore ms (median) | Python restore ms (median) | Java ÷ Python (median, min..max) |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (Path dir : dirs) {
      measure(dir, rounds, repeats, warmUpSeconds, python, script);
    }
    System.out.println("load average at end: " + StepLoopRatios.loadAverage());
  }

  private static void measure(
      Path dir, int rounds, int repeats, double warmUpSeconds, String python, String script)
      throws IOException, InterruptedException {
    Path prefix = dir.resolve("model.ckpt");
    long dataBytes = Files.size(dir.resolve("model.ckpt.data-00000-of-00001"));
    double[] java = new double[rounds];
    double[] py = new double[rounds];
    try (Graph graph = new Graph()) {
      ImportedMetaGraph imported = MetaGraphs.importMetaGraph(graph, Path.of(prefix + ".meta"));
      Saver saver = imported.saver().orElseThrow();
      try (NativeSession session = NativeSession.open(graph)) {
        // Warm-up as the Python side does: at least three restores and warmUpSeconds, so that the
        // JIT has compiled the restore path (a cold JVM would time the interpreter).
        long warmUpEnd = System.nanoTime() + (long) (warmUpSeconds * 1e9);
        for (int k = 0; k < 3 || System.nanoTime() < warmUpEnd; k++) {
          saver.restore(session, prefix.toString());
        }
        for (int r = 0; r < rounds; r++) {
          double[] times = new double[repeats];
          for (int k = 0; k < repeats; k++) {
            long t0 = System.nanoTime();
            saver.restore(session, prefix.toString());
            times[k] = (System.nanoTime() - t0) / 1e6;
          }
          java[r] = StepLoopRatios.median(times);
          py[r] = pythonRound(python, script, dir, repeats, warmUpSeconds);
        }
      }
    }
    double[] ratios = StepLoopRatios.ratios(java, py);
    double min = Double.MAX_VALUE;
    double max = 0;
    for (double v : ratios) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    System.out.printf(
        Locale.ROOT,
        "| %s | %s | %.2f | %.2f | %.3f× (%.3f..%.3f) |%n",
        dir.getFileName(),
        dataBytes >= 1 << 20 ? (dataBytes >> 20) + " MiB" : (dataBytes >> 10) + " KiB",
        StepLoopRatios.median(java),
        StepLoopRatios.median(py),
        StepLoopRatios.median(ratios),
        min,
        max);
  }

  /** One round of the Python side: the median of its {@code repeats} restores, in ms. */
  private static double pythonRound(
      String python, String script, Path dir, int repeats, double warmUpSeconds)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                python, script, dir.toString(), "--repeats", Integer.toString(repeats), "--rounds", "1",
                "--warmup-seconds", Double.toString(warmUpSeconds))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    Double value = null;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("python_restore_ms ")) {
          value = Double.parseDouble(line.substring("python_restore_ms ".length()));
        }
      }
    } finally {
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
      }
    }
    if (value == null || p.exitValue() != 0) {
      throw new IllegalStateException(
          "the Python side (" + python + " " + script + " " + dir + ") printed no python_restore_ms line"
              + " and exited with " + p.exitValue());
    }
    return value;
  }
}

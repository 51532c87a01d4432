package dev.tfmon.cli;

import dev.tfmon.eval.EvalResult;
import dev.tfmon.eval.Evaluation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The sidecar of {@code tfmon evaluate --watch} and of TF_CONFIG's {@code evaluator} task (which
 * {@code tfmon train} becomes there): every checkpoint of the model directory that its ledger does
 * not hold yet, then each new one as training writes it, evaluated on held-out rows with the
 * built-in classifier's evaluation (layer sizes read from each checkpoint) and printed as a row as
 * it comes, until training ends or no checkpoint comes for the timeout ({@link
 * Evaluation#sidecarCheckpoints}). It takes no lock and writes only {@code <model-dir>/eval/}.
 *
 * <pre>{@code
 * int n = new SidecarEvaluator(Path.of("runs/default"), split.eval(), null, out).run(Duration.ofMinutes(10), 2000L);
 * }</pre>
 */
final class SidecarEvaluator {
  private final Path modelDir;
  private final Dataset rows;
  private final Long maxBatches;
  private final PrintWriter out;

  /**
   * @param maxBatches evaluate only this many batches of each checkpoint, or null for every row
   */
  SidecarEvaluator(Path modelDir, Dataset rows, Long maxBatches, PrintWriter out) {
    this.modelDir = modelDir;
    this.rows = rows;
    this.maxBatches = maxBatches;
    this.out = out;
  }

  /**
   * Evaluates until training ends: with {@code lastStep}, once a checkpoint at that step or later
   * is there and the training run has released the directory; without, once the directory is
   * released and holds a checkpoint. Prints a row per checkpoint and a closing line.
   *
   * @return how many checkpoints were evaluated
   */
  int run(Duration timeout, Long lastStep) {
    // lists the checkpoints only: each is evaluated with a model of its own layer sizes
    Evaluation lister = Evaluation.builder(modelDir, graph -> {
      throw new IllegalStateException("never built: only lists the checkpoints");
    }).build();
    int n = 0;
    int width = 0;
    for (String path : lister.sidecarCheckpoints(timeout, lastStep)) {
      EvalResult r = evaluation(modelDir, path, rows, maxBatches).once(path);
      if (n++ == 0) {
        width = Math.max("checkpoint".length(), path.length() + 2);
        out.println(row(header(r), width));
      }
      out.println(row(cells(r), width));
      out.flush();
    }
    Path results = Evaluation.evalDir(modelDir, "");
    if (n == 0) {
      out.printf("nothing to evaluate: every checkpoint of %s is in %s%n", modelDir, results.resolve("evaluations.jsonl"));
    } else {
      out.printf("evaluated %d checkpoint(s); results in %s%n", n, results);
    }
    out.flush();
    return n;
  }

  /** The evaluation of {@code checkpoint} on {@code rows}, into {@code <modelDir>/eval/}. */
  static Evaluation evaluation(Path modelDir, String checkpoint, Dataset rows, Long maxBatches) {
    Evaluation.Builder b = Evaluation.builder(modelDir, ClassifierEvaluation.fromCheckpoint(checkpoint, rows));
    if (maxBatches != null) {
      b.maxBatches(maxBatches);
    }
    return b.build();
  }

  /** {@code checkpoint, step, <metric>...}. */
  static String[] header(EvalResult r) {
    List<String> h = new ArrayList<>(List.of("checkpoint", "step"));
    h.addAll(r.scalars().keySet());
    return h.toArray(new String[0]);
  }

  /** The checkpoint, its step and its metrics' values, in {@link #header}'s order. */
  static Object[] cells(EvalResult r) {
    List<Object> c = new ArrayList<>(List.of(r.checkpoint(), r.globalStep()));
    r.scalars().values().forEach(v -> c.add(Progress.metric(v)));
    return c.toArray();
  }

  /** A row of fixed widths, for rows printed as they come. */
  private static String row(Object[] cells, int firstWidth) {
    StringBuilder b = new StringBuilder(String.format("%-" + firstWidth + "s", cells[0]));
    b.append(String.format("%8s", cells[1]));
    for (int i = 2; i < cells.length; i++) {
      b.append(String.format("  %10s", cells[i]));
    }
    return b.toString().stripTrailing();
  }
}

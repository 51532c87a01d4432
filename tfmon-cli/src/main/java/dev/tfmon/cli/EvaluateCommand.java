package dev.tfmon.cli;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.eval.EvalResult;
import dev.tfmon.eval.Evaluation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tfmon evaluate}: evaluates checkpoints of {@code tfmon train}'s built-in classifier on
 * its held-out rows (the same split as training, or {@code --eval-data}) and prints a table; with
 * {@code --watch}, every new checkpoint until the training run ends: the sidecar evaluator. Results
 * also go to {@code <model-dir>/eval/} (TensorBoard summaries at each checkpoint's step, {@code
 * evaluations.jsonl}), as during training with {@code --eval-every}.
 *
 * <pre>{@code
 * tfmon evaluate --model-dir runs/default
 * tfmon evaluate --model-dir runs/default --watch      # next to a running tfmon train
 * }</pre>
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Evaluate checkpoints of tfmon train's built-in model on held-out data and print a table.",
      "Without --checkpoint: the newest checkpoint of --model-dir. With --watch: every checkpoint not yet",
      "evaluated, then each new one as training writes it, until the training run ends (the sidecar).",
      "Results also go to <model-dir>/eval/ (summaries for TensorBoard, evaluations.jsonl)."
    })
final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--model-dir", defaultValue = "runs/default", paramLabel = "DIR",
      description = "The training directory (default: ${DEFAULT-VALUE}).")
  Path modelDir;

  @Option(names = "--checkpoint", paramLabel = "PREFIX", description = "Evaluate this checkpoint (default: the newest).")
  String checkpoint;

  @Option(names = "--watch", description = "Evaluate every new checkpoint until training ends (the directory's lock is released).")
  boolean watch;

  @Option(names = "--timeout", defaultValue = "10m", paramLabel = "DURATION",
      description = "With --watch: give up after this long without a new checkpoint (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--data", paramLabel = "FILE.csv", description = "The CSV file the model was trained on (tfmon train --data).")
  Path data;

  @Option(names = "--label-column", defaultValue = "label", paramLabel = "NAME",
      description = "The CSV column holding the class (default: ${DEFAULT-VALUE}).")
  String labelColumn;

  @Option(names = "--eval-data", paramLabel = "FILE.csv",
      description = "Evaluate on these rows instead of the fifth of the training data that tfmon train holds out.")
  Path evalData;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
      description = "The seed training used (it picks the held-out rows; default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--max-batches", paramLabel = "N", description = "Evaluate only the first N batches of 256 rows.")
  Long maxBatches;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private PrintWriter out;

  @Override
  public Integer call() {
    out = spec.commandLine().getOut();
    if (!watch || java.nio.file.Files.exists(modelDir)) {
      // a sidecar may start before the training run creates the directory
      InputPaths.readableDirectory("--model-dir", modelDir);
    }
    if (watch && checkpoint != null) {
      throw CliException.usage("--checkpoint " + checkpoint + " and --watch exclude each other; give one");
    }
    if (maxBatches != null && maxBatches < 1) {
      throw CliException.usage("--max-batches must be positive, but got " + maxBatches);
    }
    Duration wait = TrainingMonitoring.parseDuration("--timeout", timeout);
    if (wait.isZero()) {
      throw CliException.usage("--timeout must be a positive duration such as 90s or 10m, but got '" + timeout + "'");
    }
    if (data != null) {
      InputPaths.readableFile("--data", data);
    }
    if (evalData != null) {
      InputPaths.readableFile("--eval-data", evalData);
    }
    Dataset rows = evalRows();
    try {
      return watch ? watch(rows, wait) : once(rows);
    } catch (TensorFlowStatusException e) {
      throw CliException.failure("evaluation failed: " + e.firstLine(), e);
    } finally {
      out.flush();
    }
  }

  private int once(Dataset rows) {
    String path = checkpoint != null ? checkpoint : Checkpoints.latestCheckpoint(modelDir).orElseThrow(
        () -> CliException.failure("--model-dir " + modelDir + " holds no checkpoint (no usable checkpoint state file)"));
    if (!Checkpoints.checkpointExists(path)) {
      throw CliException.usage("--checkpoint " + path + ": no such checkpoint (no " + path + ".index)");
    }
    out.printf("evaluating %s on %s (%d examples)%n", path, rows.name(), rows.size());
    EvalResult r = SidecarEvaluator.evaluation(modelDir, path, rows, maxBatches).once(path);
    TextTable table = new TextTable(SidecarEvaluator.header(r)).rightAligned(numbers(r));
    table.row(SidecarEvaluator.cells(r));
    out.print(table.render());
    out.printf("results: %s (summaries at step %d, evaluations.jsonl)%n", Evaluation.evalDir(modelDir, ""), r.globalStep());
    return 0;
  }

  private int watch(Dataset rows, Duration wait) {
    out.printf("watching %s: every checkpoint not yet evaluated, on %s (%d examples), until training ends%n",
        modelDir, rows.name(), rows.size());
    out.flush();
    new SidecarEvaluator(modelDir, rows, maxBatches, out).run(wait, null);
    return 0;
  }

  /** The held-out rows exactly as {@code tfmon train} chose them. */
  private Dataset evalRows() {
    Dataset all = data != null
        ? Dataset.fromCsv(data, labelColumn, List.of(), List.of(), m -> { })
        : Dataset.spirals(1000, 3, seed);
    if (evalData == null) {
      return all.split(0.2, seed).eval();
    }
    return Dataset.fromCsv(evalData, labelColumn, all.featureNames(), List.of(), m -> { })
        .withClassesOf(all, "--eval-data " + evalData);
  }

  private static int[] numbers(EvalResult r) {
    int[] cols = new int[1 + r.scalars().size()];
    for (int i = 0; i < cols.length; i++) {
      cols[i] = i + 1;
    }
    return cols;
  }
}

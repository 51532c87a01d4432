package dev.tfmon.cli;

import dev.tfmon.eval.EvaluationLedger;
import dev.tfmon.eval.MetricGoal;
import dev.tfmon.export.CheckpointExporter;
import dev.tfmon.export.ExportDirectory;
import dev.tfmon.export.ExportOnImprovement;
import dev.tfmon.export.ExportSignature;
import dev.tfmon.export.LatestExporter;
import dev.tfmon.export.SavedModelExporter;
import dev.tfmon.session.MonitoredTrainingSession;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import picocli.CommandLine.Option;

/**
 * The SavedModel options shared by {@code tfmon train} (export at the end of training, or with
 * {@code --export-best} each evaluated checkpoint that improves) and {@code tfmon export} (export a
 * checkpoint afterwards): where exports go, how many are kept, and the signature's tensors when the
 * graph does not record one.
 *
 * <pre>{@code
 * tfmon train --export-dir exports/spirals --keep-exports 3
 * tfmon train --export-dir exports/spirals --eval-every 200 --export-best accuracy
 * tfmon train --meta-graph m.meta ... --export-dir exports/lr --export-input x=x --export-output pred=pred
 * }</pre>
 */
final class ExportOptions {
  @Option(names = "--export-dir", paramLabel = "DIR",
      description = "Export the model as a SavedModel into DIR/<global step>/ (for TensorFlow Serving, "
          + "TF Java's SavedModelBundle, Python's tf.saved_model.load), checked against the training session first.")
  Path exportDir;

  @Option(names = "--export-input", paramLabel = "NAME=TENSOR",
      description = "An input of the serving_default signature: key NAME fed to graph tensor TENSOR (repeatable). "
          + "Default: the signature the graph records (the built-in model's: features -> logits, probabilities, classes).")
  List<String> inputs;

  @Option(names = "--export-output", paramLabel = "NAME=TENSOR",
      description = "An output of the serving_default signature: key NAME fetched from TENSOR (repeatable).")
  List<String> outputs;

  @Option(names = "--keep-exports", paramLabel = "N",
      description = "Keep only the N newest exports in the export directory; older ones are deleted whole (default: all).")
  Integer keep;

  private LatestExporter listener;
  private ExportOnImprovement onImprovement;

  /**
   * For {@code tfmon train}: checks the options against the graph and prepares an exporter that
   * runs after the final checkpoint, on the live session (unless {@link #onImprovement} made the
   * evaluation export instead). Does nothing without {@code --export-dir}.
   *
   * @throws CliException usage error for options without {@code --export-dir}, a malformed or
   *     missing tensor, or no signature
   */
  void prepare(Graph graph) {
    if (exportDir == null) {
      if (inputs != null || outputs != null || keep != null) {
        throw CliException.usage("--export-input, --export-output and --keep-exports need --export-dir");
      }
      return;
    }
    SavedModelExporter exporter = exporter(graph, false);
    if (onImprovement == null) {
      listener = LatestExporter.builder(exporter, exportDirectory()).everyCheckpoint(false).atEnd(true).build();
    }
  }

  /**
   * For {@code --export-best}: the evaluation listener that exports each evaluated checkpoint whose
   * {@code goal} metric beats every earlier export, from the checkpoint and its {@code .meta} (so a
   * cluster's chief, whose graph is placed on ps tasks, exports too); the best survives restarts
   * through the exports' metric files and {@code ledger}.
   */
  ExportOnImprovement onImprovement(MetricGoal goal, EvaluationLedger ledger) {
    onImprovement = ExportOnImprovement.builder(
            CheckpointExporter.fromMetaGraphs(graph -> exporter(graph, false)), exportDirectory(), goal)
        .ledger(ledger)
        .build();
    return onImprovement;
  }

  /** Adds the exporter prepared by {@link #prepare} to the session's checkpoint hook, if any. */
  void addTo(MonitoredTrainingSession.Builder session) {
    if (listener != null) {
      session.checkpointListener(listener);
    }
  }

  /** Prints the export made at the end of training, or the best one (nothing without {@code --export-dir}). */
  void report(PrintWriter out, MetricGoal exportBest) {
    if (onImprovement != null) {
      String best = onImprovement.best().isPresent()
          ? exportBest + " " + Progress.metric(onImprovement.best().getAsDouble()) : exportBest.toString();
      onImprovement.lastResult().ifPresentOrElse(
          r -> out.printf("export:      %s (the best by %s; %s)%n", r.directory(), best, r.verification().summary()),
          () -> out.printf("export:      none in this run (no evaluation beat the best by %s in %s)%n", best,
              onImprovement.exports().base()));
      return;
    }
    if (listener == null) {
      return;
    }
    listener.lastResult().ifPresentOrElse(
        r -> out.printf("export:      %s (%s)%n", r.directory(), r.verification().summary()),
        () -> out.printf("export:      none (%s)%n",
            listener.exports().newest().map(p -> "the final global step is already exported: " + p)
                .orElse("no final checkpoint was written")));
  }

  /** The export base with the keep-N policy. */
  ExportDirectory exportDirectory() {
    if (keep != null && keep < 1) {
      throw CliException.usage("--keep-exports must be positive, but got " + keep);
    }
    return ExportDirectory.of(exportDir).keep(keep == null ? 0 : keep);
  }

  /**
   * An exporter of {@code graph}: the signature of {@code --export-input/--export-output}, or the
   * one the graph records; the whole graph with {@code fullGraph}.
   */
  SavedModelExporter exporter(Graph graph, boolean fullGraph) {
    SavedModelExporter.Builder b = SavedModelExporter.builder(graph).keepFullGraph(fullGraph);
    if (outputs != null) {
      ExportSignature.Builder s = ExportSignature.builder();
      for (String in : inputs == null ? List.<String>of() : inputs) {
        String[] kv = keyValue("--export-input", in);
        s.input(kv[0], kv[1]);
      }
      for (String o : outputs) {
        String[] kv = keyValue("--export-output", o);
        s.output(kv[0], kv[1]);
      }
      b.signature(build(s));
    } else if (inputs != null) {
      throw CliException.usage("--export-input needs at least one --export-output NAME=TENSOR");
    } else if (ExportSignature.recordedIn(graph).isEmpty()) {
      throw CliException.usage(
          "the graph records no serving signature: name its tensors with --export-input NAME=TENSOR and --export-output NAME=TENSOR");
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
  }

  private static ExportSignature build(ExportSignature.Builder s) {
    try {
      return s.build();
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
  }

  private static String[] keyValue(String option, String value) {
    int eq = value.indexOf('=');
    if (eq <= 0 || eq == value.length() - 1) {
      throw CliException.usage(option + " '" + value + "': expected NAME=TENSOR, e.g. x=x:0");
    }
    return new String[] {value.substring(0, eq), value.substring(eq + 1)};
  }

  /** A one-line description of a signature: its inputs and outputs with dtype and shape. */
  static String describe(SignatureDef def) {
    StringBuilder s = new StringBuilder("inputs ");
    s.append(describeAll(def.getInputsMap())).append("; outputs ").append(describeAll(def.getOutputsMap()));
    return s.toString();
  }

  private static String describeAll(Map<String, TensorInfo> infos) {
    List<String> parts = new ArrayList<>();
    new TreeMap<>(infos).forEach((k, v) -> parts.add(k + " " + SavedModelText.typeAndShape(v)));
    return String.join(", ", parts);
  }
}

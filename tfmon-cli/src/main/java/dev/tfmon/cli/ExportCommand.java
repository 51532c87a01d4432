package dev.tfmon.cli;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.checkpoint.MetaGraphs;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.export.ExportResult;
import dev.tfmon.export.ExportVerificationException;
import dev.tfmon.export.SavedModelExporter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tensorflow.Graph;
import org.tensorflow.proto.SignatureDef;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tfmon export}: writes a checkpoint of a model directory as a SavedModel, with the graph of
 * a {@code .meta} file (tfmon's or Python's), pruned to the serving signature and checked against
 * the restored checkpoint before it is published in {@code <export dir>/<global step>/}.
 *
 * <pre>{@code
 * tfmon export --model-dir runs/default --export-dir exports/spirals
 * tfmon export --model-dir lr --export-dir exports/lr --export-input x=x --export-output pred=pred
 * }</pre>
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Export a checkpoint as a SavedModel (for TensorFlow Serving, TF Java's SavedModelBundle,",
      "Python's tf.saved_model.load) into EXPORT_DIR/<global step>/, written atomically.",
      "The graph is the checkpoint's .meta (default: <checkpoint>.meta, else the newest .meta in",
      "--model-dir), pruned to what the signature needs; the export is loaded back and checked",
      "against the restored checkpoint before it is published."
    })
final class ExportCommand implements Callable<Integer> {
  private static final String MISMATCH_PREFIX_END = "the graph does not match it: ";

  @Option(names = "--model-dir", required = true, paramLabel = "DIR",
      description = "The model directory holding the checkpoints (tfmon's or Python's).")
  Path modelDir;

  @Option(names = "--checkpoint", paramLabel = "PREFIX",
      description = "The checkpoint to export (default: the newest restorable one in --model-dir).")
  Path checkpoint;

  @Option(names = "--meta-graph", paramLabel = "FILE.meta",
      description = "The graph (default: <checkpoint>.meta, else the newest .meta file in --model-dir).")
  Path metaGraph;

  @Mixin ExportOptions export;

  @Option(names = "--full-graph",
      description = "Write the whole training graph and every variable instead of the part the signature needs.")
  boolean fullGraph;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (export.exportDir == null) {
      throw CliException.usage("missing --export-dir DIR: where the SavedModel goes (as DIR/<global step>/)");
    }
    InputPaths.readableDirectory("--model-dir", modelDir);
    String prefix = checkpoint != null ? InspectCommand.resolvePrefix(checkpoint)
        : Checkpoints.newestRestorable(modelDir).orElseThrow(() -> CliException.failure(
            "no checkpoint in --model-dir " + modelDir + " (no 'checkpoint' state file naming a complete checkpoint)"));
    Path meta = metaGraph != null ? InputPaths.readableFile("--meta-graph", metaGraph) : defaultMetaGraph(prefix);
    PrintWriter out = spec.commandLine().getOut();
    try (Graph graph = new Graph()) {
      ImportedMetaGraph imported;
      try {
        // Devices are dropped: a graph pinned to /device:CPU:1 or to ps tasks must load here.
        imported = MetaGraphs.importMetaGraph(graph, meta, true, "");
      } catch (IllegalArgumentException | UncheckedIOException e) {
        throw CliException.failure("--meta-graph " + meta + ": " + e.getMessage(), e);
      }
      Saver saver = imported.saver().orElseGet(() -> Saver.builder(graph).build());
      SavedModelExporter exporter = export.exporter(graph, fullGraph);
      ExportResult r;
      try {
        r = exporter.exportCheckpoint(prefix, saver, export.exportDirectory());
      } catch (NotFoundException | InvalidArgumentException e) {
        String why = e.firstLine();
        // the saver's message starts by naming the checkpoint again
        int list = why.indexOf(MISMATCH_PREFIX_END);
        throw CliException.failure("checkpoint " + prefix + " does not match the graph of " + meta + ": "
            + (list >= 0 ? why.substring(list + MISMATCH_PREFIX_END.length()) : why), e);
      } catch (ExportVerificationException e) {
        throw CliException.failure(e.getMessage(), e);
      } catch (IllegalArgumentException e) {
        throw CliException.usage(e.getMessage());
      } catch (TensorFlowStatusException e) {
        throw CliException.failure("cannot export checkpoint " + prefix + ": " + e.code() + ": " + e.firstLine(), e);
      }
      out.printf("exported checkpoint %s (graph %s)%n", prefix, meta);
      out.printf("to:        %s%n", r.directory());
      for (var s : r.signatures()) {
        SignatureDef def = s.toSignatureDef(graph);
        out.printf("signature: %s (%s): %s%n", s.name(), s.methodName(), ExportOptions.describe(def));
      }
      out.printf("graph:     %d of %d nodes%s; %d variable%s: %s%n", r.keptNodes(), r.sourceNodes(),
          fullGraph ? " (--full-graph)" : " (pruned to the signature)", r.variables().size(),
          r.variables().size() == 1 ? "" : "s", String.join(", ", r.variables()));
      out.printf("check:     %s%n", r.verification().summary());
      if (!r.deletedVersions().isEmpty()) {
        out.printf("deleted:   older export%s %s (--keep-exports %d)%n", r.deletedVersions().size() == 1 ? "" : "s",
            r.deletedVersions(), export.keep);
      }
    }
    out.flush();
    return 0;
  }

  /** {@code <checkpoint>.meta} if it exists, else the newest {@code .meta} file of the model directory. */
  private Path defaultMetaGraph(String prefix) {
    Path own = Path.of(Checkpoints.metaGraphFilename(prefix));
    if (Files.isRegularFile(own)) {
      return own;
    }
    return InputPaths.newestFile(modelDir, "*.meta")
        .orElseThrow(() -> CliException.usage(
            "no .meta file in --model-dir " + modelDir + " to take the graph from: give --meta-graph FILE.meta"));
  }
}

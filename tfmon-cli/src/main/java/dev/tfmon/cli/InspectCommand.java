package dev.tfmon.cli;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.VariableInfo;
import dev.tfmon.errors.TensorFlowStatusException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.tensorflow.Tensor;
import org.tensorflow.types.TString;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tfmon inspect PATH}: the variables of a checkpoint (a prefix such as {@code
 * runs/default/model.ckpt-200}, or a directory whose latest checkpoint is shown), with dtype, shape
 * and size (a partitioned variable once, whole, noted "sliced: N parts"); {@code --tensor NAME}
 * prints one tensor's values (strings quoted or as hex; a TF2 checkpoint's object graph as a tree).
 *
 * <pre>{@code
 * tfmon inspect runs/default --tensor dense_0/kernel
 * }</pre>
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "List the variables of a checkpoint (dtype, shape, size), or print one tensor's values.",
      "On a SavedModel directory (or a directory of exports: its newest), print its tags,",
      "signatures (inputs and outputs with dtype and shape) and variables.",
      "PATH is a checkpoint prefix (e.g. runs/default/model.ckpt-200) or a directory,",
      "whose latest checkpoint is shown. Works on checkpoints written by Python TensorFlow."
    })
final class InspectCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "PATH", description = "Checkpoint prefix or directory.")
  Path path;

  @Option(names = "--tensor", paramLabel = "NAME", description = "Print the values of this tensor.")
  String tensor;

  @Option(
      names = "--max-values",
      paramLabel = "N",
      defaultValue = "20",
      description = "Print at most N values of a tensor; larger ones are summarized (default: ${DEFAULT-VALUE}).")
  int maxValues;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (maxValues < 1) {
      throw CliException.usage("--max-values must be at least 1, but got " + maxValues);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (tensor == null && SavedModelText.isSavedModelOrExports(path)) {
      SavedModelText.print(out, SavedModelText.resolve(path));
      out.flush();
      return 0;
    }
    String prefix = resolvePrefix(path);
    try (CheckpointReader reader = CheckpointReader.open(prefix)) {
      if (tensor != null) {
        printTensor(out, reader);
      } else {
        printTable(out, reader, "checkpoint");
      }
    } catch (TensorFlowStatusException e) {
      throw CliException.failure("cannot read checkpoint " + prefix + ": " + e.firstLine(), e);
    }
    out.flush();
    return 0;
  }

  static void printTable(PrintWriter out, CheckpointReader reader, String what) {
    long totalBytes = 0;
    boolean anySliced = reader.variables().values().stream().anyMatch(VariableInfo::sliced);
    TextTable table = anySliced
        ? new TextTable("name", "dtype", "shape", "size", "bytes", "").rightAligned(3, 4)
        : new TextTable("name", "dtype", "shape", "size", "bytes").rightAligned(3, 4);
    for (VariableInfo v : reader.variables().values()) {
      String[] typeAndShape = v.describe().split(" ", 2);
      if (anySliced) {
        table.row(v.name(), typeAndShape[0], typeAndShape[1], elements(v), v.size(), slicedNote(v));
      } else {
        table.row(v.name(), typeAndShape[0], typeAndShape[1], elements(v), v.size());
      }
      totalBytes += v.size();
    }
    out.printf(
        "%s %s: %d tensors, %d bytes in %d data file%s%n",
        what,
        reader.prefix(),
        reader.variables().size(),
        totalBytes,
        reader.numShards(),
        reader.numShards() == 1 ? "" : "s");
    out.print(table.render());
  }

  /** {@code "sliced: 3 parts"} for a partitioned variable, else nothing. */
  private static String slicedNote(VariableInfo v) {
    int parts = v.slices().size();
    return parts == 0 ? "" : "sliced: " + parts + (parts == 1 ? " part" : " parts");
  }

  private static long elements(VariableInfo v) {
    return v.shape().numDimensions() == 0 ? 1 : v.shape().size();
  }

  private void printTensor(PrintWriter out, CheckpointReader reader) {
    VariableInfo info = reader.variables().get(tensor);
    if (info == null) {
      throw CliException.usage(
          "--tensor '" + tensor + "' is not in checkpoint " + reader.prefix() + "; it has "
              + reader.variables().keySet());
    }
    try (Tensor t = reader.read(tensor)) {
      String sliced = info.sliced() ? ", " + slicedNote(info) : "";
      if (t instanceof TString s && info.shape().numDimensions() == 0 && tensor.equals(ObjectGraphText.KEY)) {
        String tree = ObjectGraphText.format(s.asBytes().getObject());
        if (tree != null) {
          out.printf("%s  %s  (a TF2 object graph)%n", info.name(), info.describe());
          out.print(tree);
          return;
        }
      }
      out.printf("%s  %s  (%d values%s)%n", info.name(), info.describe(), elements(info), sliced);
      out.println(TensorText.format(t, maxValues));
    }
  }

  /**
   * The checkpoint prefix {@code path} names: a directory's latest checkpoint (state file, else
   * the newest {@code *.index}), a prefix, or one of a checkpoint's files.
   */
  static String resolvePrefix(Path path) {
    if (Files.isDirectory(path)) {
      InputPaths.readableDirectory("checkpoint directory", path);
      Optional<String> latest = Checkpoints.latestCheckpoint(path);
      if (latest.isPresent()) {
        return latest.get();
      }
      return newestIndex(path)
          .orElseThrow(
              () ->
                  CliException.failure(
                      "no checkpoint in " + path + " (no 'checkpoint' state file and no *.index file)"));
    }
    String s = path.toString();
    for (String suffix : new String[] {".index", ".meta"}) {
      if (s.endsWith(suffix)) {
        s = s.substring(0, s.length() - suffix.length());
      }
    }
    int data = s.lastIndexOf(".data-");
    if (data > 0 && s.matches(".*\\.data-\\d{5}-of-\\d{5}$")) {
      s = s.substring(0, data);
    }
    if (!Files.exists(Path.of(s + ".index"))) {
      throw CliException.usage(
          "no checkpoint at " + path + ": neither a directory nor a checkpoint prefix ("
              + s + ".index does not exist)");
    }
    return s;
  }

  private static Optional<String> newestIndex(Path dir) {
    return InputPaths.newestFile(dir, "*.index")
        .map(p -> p.toString().substring(0, p.toString().length() - ".index".length()));
  }
}

package dev.tfmon.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.export.ExportDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * A SavedModel as text, like {@code saved_model_cli show --all}: each MetaGraph's tags, its
 * signatures (every input and output with dtype, shape and graph tensor) and the variables under
 * {@code variables/}.
 *
 * <pre>{@code
 * SavedModelText.print(out, SavedModelText.resolve(Path.of("exports/spirals")));   // the newest export
 * }</pre>
 */
final class SavedModelText {
  private SavedModelText() {}

  /** True for a SavedModel directory, or a directory of versioned exports without a checkpoint. */
  static boolean isSavedModelOrExports(Path path) {
    if (!Files.isDirectory(path)) {
      return false;
    }
    if (Files.isRegularFile(path.resolve(ExportDirectory.SAVED_MODEL_FILE))) {
      return true;
    }
    return !Files.exists(path.resolve("checkpoint")) && ExportDirectory.of(path).newest().isPresent();
  }

  /**
   * The SavedModel {@code path} names: itself, or the newest export of a directory of exports.
   *
   * @throws CliException usage error if it is neither
   */
  static Path resolve(Path path) {
    InputPaths.readableDirectory("SavedModel directory", path);
    if (Files.isRegularFile(path.resolve(ExportDirectory.SAVED_MODEL_FILE))) {
      return path;
    }
    Optional<Path> newest = ExportDirectory.of(path).newest();
    return newest.orElseThrow(() -> CliException.usage(
        path + " is not a SavedModel (no " + ExportDirectory.SAVED_MODEL_FILE + ") and holds no export <version>/"
            + ExportDirectory.SAVED_MODEL_FILE));
  }

  /**
   * Reads {@code dir/saved_model.pb}.
   *
   * @throws CliException failure if it cannot be read or parsed
   */
  static SavedModel read(Path dir) {
    Path file = dir.resolve(ExportDirectory.SAVED_MODEL_FILE);
    try {
      return SavedModel.parseFrom(Files.readAllBytes(file));
    } catch (InvalidProtocolBufferException e) {
      throw CliException.failure(file + " is not a SavedModel protocol buffer: " + e.getMessage(), e);
    } catch (IOException e) {
      throw CliException.failure("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  static void print(PrintWriter out, Path dir) {
    SavedModel model = read(dir);
    out.printf("SavedModel %s: %d MetaGraph%s%n", dir, model.getMetaGraphsCount(), model.getMetaGraphsCount() == 1 ? "" : "s");
    for (MetaGraphDef meta : model.getMetaGraphsList()) {
      MetaGraphDef.MetaInfoDef info = meta.getMetaInfoDef();
      out.printf("MetaGraph with tags %s: %d nodes, written by %s (TensorFlow %s)%s%n",
          info.getTagsList(), meta.getGraphDef().getNodeCount(),
          info.getTensorflowGitVersion().isEmpty() ? "?" : info.getTensorflowGitVersion(),
          info.getTensorflowVersion().isEmpty() ? "?" : info.getTensorflowVersion(), mainOp(meta));
      for (Map.Entry<String, SignatureDef> e : new TreeMap<>(meta.getSignatureDefMap()).entrySet()) {
        out.printf("signature '%s' (%s)%n", e.getKey(), e.getValue().getMethodName());
        TextTable t = new TextTable("  ", "key", "dtype", "shape", "tensor");
        rows(t, "  input", e.getValue().getInputsMap());
        rows(t, "  output", e.getValue().getOutputsMap());
        out.print(t.render());
      }
    }
    Path index = dir.resolve("variables").resolve("variables.index");
    if (!Files.isRegularFile(index)) {
      out.println("variables: none (no variables/variables.index)");
      return;
    }
    String prefix = dir.resolve("variables").resolve("variables").toString();
    try (CheckpointReader reader = CheckpointReader.open(prefix)) {
      InspectCommand.printTable(out, reader, "variables");
    } catch (TensorFlowStatusException e) {
      throw CliException.failure("cannot read the variables of " + dir + ": " + e.firstLine(), e);
    }
  }

  /** {@code "float32 [?, 2]"}. */
  static String typeAndShape(TensorInfo info) {
    return CheckpointReader.typeName(info.getDtype()) + " " + shape(info);
  }

  private static String shape(TensorInfo info) {
    return CheckpointReader.shapeText(CheckpointReader.shapeOf(info.getTensorShape()));
  }

  private static void rows(TextTable t, String kind, Map<String, TensorInfo> infos) {
    new TreeMap<>(infos).forEach((k, v) -> t.row(kind, k, CheckpointReader.typeName(v.getDtype()), shape(v), v.getName()));
  }

  private static String mainOp(MetaGraphDef meta) {
    for (String key : List.of("saved_model_main_op", "legacy_init_op")) {
      CollectionDef c = meta.getCollectionDefMap().get(key);
      if (c != null && c.getNodeList().getValueCount() > 0) {
        return ", main op '" + c.getNodeList().getValue(0) + "'";
      }
    }
    return meta.getSignatureDefMap().containsKey("__saved_model_init_op") ? ", init op in signature __saved_model_init_op" : "";
  }
}

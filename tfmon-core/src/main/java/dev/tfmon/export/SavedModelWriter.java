package dev.tfmon.export;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.graph.DataTypes;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.Runner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.OpList;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TString;

/**
 * Writes the files of one SavedModel into an empty directory, the layout TensorFlow's SavedModel
 * builder produces: {@code saved_model.pb} (a {@code SavedModel} proto with one {@code
 * MetaGraphDef}: tags, graph, the saver's {@code SaverDef}, the main op in collection {@code
 * saved_model_main_op}, the signatures), {@code variables/variables.index} and {@code
 * variables/variables.data-NNNNN-of-MMMMM} (written by TensorFlow's SaveV2 and, for a sharded
 * saver, MergeV2Checkpoints kernels), {@code assets/} and, if asked, {@code assets.extra/}.
 *
 * <p>The variables' values come from the training session in one run, are assigned to the
 * variables of a session over the exported graph, and saved from there by the exported graph's own
 * saver, so what is written is exactly what that saver restores.
 */
final class SavedModelWriter {
  static final String VARIABLES_DIRECTORY = "variables";
  static final String VARIABLES_FILENAME = "variables";
  static final String ASSETS_DIRECTORY = "assets";
  static final String EXTRA_ASSETS_DIRECTORY = "assets.extra";
  static final String MAIN_OP_COLLECTION = "saved_model_main_op";
  private static final String LOAD_SCOPE = "tfmon_export_load";

  private SavedModelWriter() {}

  /** What was written. */
  record Written(List<String> variables, int nodes) {}

  /**
   * @param graphDef the graph to export (already pruned, devices already cleared if wanted)
   * @param variables the variables of {@code graphDef} to save, with the same names in the source
   * @param initializers ops of {@code graphDef} the main op runs after the restore (tables)
   * @param extraFiles file name to content, written into {@code assets.extra/}
   */
  static Written write(
      RunnableSession source,
      GraphDef graphDef,
      List<String> variables,
      List<String> initializers,
      List<ExportSignature> signatures,
      List<String> tags,
      boolean sharded,
      Map<String, byte[]> extraFiles,
      Path dir) {
    try (Graph graph = new Graph()) {
      try {
        graph.importGraphDef(graphDef);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the exported graph does not import: " + e.getMessage(), e);
      }
      SaverDef saverDef = null;
      Saver saver = null;
      if (!variables.isEmpty()) {
        saver = Saver.builder(graph).variableNames(variables).sharded(sharded).maxToKeep(0).build();
        saverDef = saver.saverDef();
      }
      try {
        Operation mainOp = mainOp(graph, initializers);
        GraphDef written = graph.toGraphDef();
        MetaGraphDef.Builder meta =
            MetaGraphDef.newBuilder()
                .setMetaInfoDef(
                    MetaGraphDef.MetaInfoDef.newBuilder()
                        .addAllTags(tags)
                        .setTensorflowVersion(TensorFlow.version())
                        .setTensorflowGitVersion("tfmon (TensorFlow Java)")
                        .setStrippedOpList(opsUsedBy(written)))
                .setGraphDef(written)
                .putCollectionDef(
                    MAIN_OP_COLLECTION,
                    CollectionDef.newBuilder()
                        .setNodeList(CollectionDef.NodeList.newBuilder().addValue(mainOp.name()))
                        .build());
        if (saverDef != null) {
          meta.setSaverDef(saverDef);
        }
        for (ExportSignature s : signatures) {
          meta.putSignatureDef(s.name(), s.toSignatureDef(graph));
        }
        Path variablesDir = Files.createDirectories(dir.resolve(VARIABLES_DIRECTORY));
        if (saverDef != null) {
          try (NativeSession target = NativeSession.open(graph)) {
            copyValues(source, target, variables);
            saveVariables(target, saverDef, variablesDir.resolve(VARIABLES_FILENAME));
          }
        }
        Files.createDirectories(dir.resolve(ASSETS_DIRECTORY));
        if (!extraFiles.isEmpty()) {
          Path extra = Files.createDirectories(dir.resolve(EXTRA_ASSETS_DIRECTORY));
          for (Map.Entry<String, byte[]> f : extraFiles.entrySet()) {
            Files.write(extra.resolve(f.getKey()), f.getValue());
          }
        }
        SavedModel model = SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(meta).build();
        // Written last: a directory with saved_model.pb has everything else already.
        Files.write(dir.resolve(ExportDirectory.SAVED_MODEL_FILE), model.toByteArray());
        return new Written(variables, written.getNodeCount());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write SavedModel into " + dir + ": " + e.getMessage(), e);
      } finally {
        if (saver != null) {
          saver.close();
        }
      }
    }
  }

  /** A NoOp that runs {@code initializers}; a SavedModel loader runs it after the restore. */
  private static Operation mainOp(Graph graph, List<String> initializers) {
    Scope scope = Ops.create(graph).scope();
    GraphOperationBuilder b = graph.opBuilder("NoOp", GraphNames.uniqueOpName(graph, "main_op"), scope);
    for (String name : initializers) {
      b.addControlInput(GraphNames.operation(graph, name));
    }
    return b.build();
  }

  /**
   * Fetches the variables' values from {@code source} in one run (a consistent snapshot of one
   * step) and assigns them to the same variables of {@code target}.
   */
  private static void copyValues(RunnableSession source, NativeSession target, List<String> variables) {
    Graph graph = target.graph();
    Scope scope = Ops.create(graph).scope();
    Runner fetch = source.runner();
    for (String v : variables) {
      fetch.fetch(valueInSource(source.graph(), v));
    }
    Runner assign = target.runner();
    List<Output<?>> placeholders = new ArrayList<>();
    int i = 0;
    for (String v : variables) {
      GraphOperation variable = GraphNames.operation(graph, v);
      DataType dtype = DataTypes.base(variable.attributes().getAttrType("dtype"));
      Shape shape = variable.attributes().getAttrShape("shape");
      Output<?> value =
          graph.opBuilder("Placeholder", GraphNames.uniqueOpName(graph, LOAD_SCOPE + "/value_" + i), scope)
              .setAttr("dtype", dtype)
              .setAttr("shape", shape)
              .build()
              .output(0);
      placeholders.add(value);
      boolean resource = variable.type().equals("VarHandleOp");
      GraphOperationBuilder b =
          graph.opBuilder(resource ? "AssignVariableOp" : "Assign", GraphNames.uniqueOpName(graph, LOAD_SCOPE + "/assign_" + i), scope)
              .addInput(variable.output(0))
              .addInput(value);
      if (resource) {
        b.setAttr("dtype", dtype);
      }
      assign.addTarget(b.build());
      i++;
    }
    try (RunResult values = fetch.run()) {
      for (int k = 0; k < variables.size(); k++) {
        assign.feed(placeholders.get(k), values.get(k));
      }
      assign.run().close();
    }
  }

  /**
   * The tensor holding variable {@code name}'s value in the source graph, found among its existing
   * ops (an export never adds ops to the training graph).
   */
  static Output<?> valueInSource(Graph graph, String name) {
    GraphOperation op = GraphNames.operation(graph, name);
    if (!op.type().equals("VarHandleOp")) {
      return op.output(0);
    }
    for (GraphOperation consumer : op.consumers(0)) {
      if (consumer.type().equals("ReadVariableOp")) {
        return consumer.output(0);
      }
    }
    throw new IllegalArgumentException(
        "resource variable '" + name + "' has no ReadVariableOp in the training graph, so its value cannot be read for the export");
  }

  /** Runs the exported graph's own save ops, as a SavedModel loader will run its restore ops. */
  private static void saveVariables(RunnableSession session, SaverDef def, Path prefix) {
    try (TString file = TString.scalarOf(prefix.toString());
        RunResult r = session.runner().feed(def.getFilenameTensorName(), file).fetch(def.getSaveTensorName()).run()) {
      // the save tensor's value is the prefix written; nothing else to read
    }
  }

  /** The registered definitions of the ops {@code graphDef} uses (Python's {@code stripped_op_list}). */
  private static OpList opsUsedBy(GraphDef graphDef) {
    Set<String> used = new HashSet<>();
    graphDef.getNodeList().forEach(n -> used.add(n.getOp()));
    for (FunctionDef f : graphDef.getLibrary().getFunctionList()) {
      f.getNodeDefList().forEach(n -> used.add(n.getOp()));
    }
    Map<String, OpDef> registered = new LinkedHashMap<>();
    for (OpDef op : TensorFlow.registeredOpList().getOpList()) {
      registered.put(op.getName(), op);
    }
    OpList.Builder out = OpList.newBuilder();
    used.stream().sorted().filter(registered::containsKey).forEach(name -> out.addOp(registered.get(name)));
    return out.build();
  }

  /** A copy of {@code graphDef} with every node's device cleared. */
  static GraphDef withoutDevices(GraphDef graphDef) {
    GraphDef.Builder b = graphDef.toBuilder();
    for (NodeDef.Builder node : b.getNodeBuilderList()) {
      node.clearDevice();
    }
    return b.build();
  }
}

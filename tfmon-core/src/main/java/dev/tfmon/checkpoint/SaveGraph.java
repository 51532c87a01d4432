package dev.tfmon.checkpoint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * Adds a Saver's ops to a graph with the names Python TensorFlow gives them ({@code save/Const},
 * {@code save/SaveV2}, {@code save/control_dependency}, {@code save/RestoreV2}, {@code
 * save/restore_all}, and for sharded savers {@code save/ShardedFilename}, {@code
 * save/MergeV2Checkpoints}, {@code save/Identity}), so that the tensors are written and read by
 * TensorFlow's own SaveV2, RestoreV2 and MergeV2Checkpoints kernels.
 */
final class SaveGraph {
  private final Graph graph;
  private final Scope scope;
  final String prefix;

  SaveGraph(Graph graph, String scopeName) {
    this.graph = graph;
    this.scope = Ops.create(graph).scope();
    this.prefix = scopeName;
  }

  /** The first free scope among {@code base}, {@code base_1}, ... */
  static String freeScope(Graph graph, String base) {
    String name = base;
    for (int i = 1; graph.operation(name + "/Const") != null || graph.operation(name + "/restore_all") != null; i++) {
      name = base + "_" + i;
    }
    return name;
  }

  /** {@code save/filename} (a constant {@code "model"}) and the feedable {@code save/Const}. */
  Output<TString> filenameTensor() {
    GraphOperation fallback = stringConst("filename", new String[0], "model");
    GraphOperation filename =
        op("PlaceholderWithDefault", "Const", "")
            .addInput(fallback.output(0))
            .setAttr("dtype", DataType.DT_STRING)
            .setAttr("shape", Shape.scalar())
            .build();
    return filename.output(0);
  }

  /**
   * Builds the save ops over {@code targets} and returns the save tensor: its value is the
   * checkpoint prefix, available once every file is written.
   *
   * @param values the tensor to save for each target (the variable itself, or a snapshot)
   * @param tag distinguishes a second set of save ops in the same scope ({@code ""} for none)
   */
  Output<?> buildSave(
      Output<TString> filename,
      List<SaveTarget> targets,
      Function<SaveTarget, Output<?>> values,
      boolean sharded,
      String tag) {
    if (!sharded) {
      GraphOperation save = saveV2(filename, targets, values, tag + "SaveV2", "");
      return op("Identity", tag + "control_dependency", "")
          .addInput(filename)
          .addControlInput(save)
          .build()
          .output(0);
    }
    Map<String, List<SaveTarget>> byDevice = byDevice(targets);
    GraphOperation suffix = stringConst(tag + "StringJoin/inputs_1", new String[0], "_temp/part");
    GraphOperation tmp =
        op("StringJoin", tag + "StringJoin", "")
            .addInputList(new Output<?>[] {filename, suffix.output(0)})
            .setAttr("separator", "")
            .build();
    GraphOperation numShards = intConst(tag + "num_shards", byDevice.size());
    List<Output<?>> shardNames = new ArrayList<>();
    int shard = 0;
    String firstDevice = "";
    for (Map.Entry<String, List<SaveTarget>> e : byDevice.entrySet()) {
      String device = e.getKey();
      if (shard == 0) {
        firstDevice = device;
      }
      String n = shard == 0 ? "" : "_" + shard;
      GraphOperation shardIndex = intConst(tag + "ShardedFilename" + n + "/shard", shard);
      GraphOperation name =
          op("ShardedFilename", tag + "ShardedFilename" + n, device)
              .addInput(tmp.output(0))
              .addInput(shardIndex.output(0))
              .addInput(numShards.output(0))
              .build();
      GraphOperation save = saveV2(name.output(0), e.getValue(), values, tag + "SaveV2" + n, device);
      shardNames.add(
          op("Identity", tag + "control_dependency" + n, device)
              .addInput(name.output(0))
              .addControlInput(save)
              .build()
              .output(0));
      shard++;
    }
    GraphOperationBuilder pack = op("Pack", tag + "MergeV2Checkpoints/checkpoint_prefixes", firstDevice)
        .addInputList(shardNames.toArray(new Output<?>[0]))
        .setAttr("axis", 0L);
    GraphOperation packed = pack.build();
    GraphOperation merge =
        op("MergeV2Checkpoints", tag + "MergeV2Checkpoints", firstDevice)
            .addInput(packed.output(0))
            .addInput(filename)
            .setAttr("delete_old_dirs", true)
            .build();
    return op("Identity", tag + "Identity", "")
        .addInput(filename)
        .addControlInput(merge)
        .build()
        .output(0);
  }

  /** Builds the restore ops and returns {@code save/restore_all}. */
  GraphOperation buildRestore(Output<TString> filename, List<SaveTarget> targets, boolean sharded) {
    Map<String, List<SaveTarget>> groups =
        sharded ? byDevice(targets) : Map.of("", targets);
    List<GraphOperation> shardOps = new ArrayList<>();
    int restoreIndex = 0;
    int assignIndex = 0;
    int shard = 0;
    for (Map.Entry<String, List<SaveTarget>> e : groups.entrySet()) {
      String device = e.getKey();
      List<SaveTarget> group = e.getValue();
      String n = restoreIndex == 0 ? "" : "_" + restoreIndex;
      restoreIndex++;
      GraphOperation names = stringConst("RestoreV2" + n + "/tensor_names", keys(group), null);
      GraphOperation slices =
          stringConst("RestoreV2" + n + "/shape_and_slices", new String[group.size()], null);
      DataType[] dtypes = group.stream().map(SaveTarget::dtype).toArray(DataType[]::new);
      GraphOperation restore =
          op("RestoreV2", "RestoreV2" + n, device)
              .addInput(filename)
              .addInput(names.output(0))
              .addInput(slices.output(0))
              .setAttr("dtypes", dtypes)
              .build();
      List<GraphOperation> assigns = new ArrayList<>();
      for (int i = 0; i < group.size(); i++) {
        SaveTarget t = group.get(i);
        String a = assignIndex == 0 ? "" : "_" + assignIndex;
        assignIndex++;
        String varDevice = t.device();
        if (t.resource()) {
          assigns.add(
              op("AssignVariableOp", "AssignVariableOp" + a, varDevice)
                  .addInput(t.variable())
                  .addInput(restore.output(i))
                  .setAttr("dtype", t.dtype())
                  .build());
        } else {
          assigns.add(
              op("Assign", "Assign" + a, varDevice)
                  .addInput(t.variable())
                  .addInput(restore.output(i))
                  .build());
        }
      }
      if (sharded) {
        GraphOperationBuilder b = op("NoOp", "restore_shard" + (shard == 0 ? "" : "_" + shard), device);
        assigns.forEach(b::addControlInput);
        shardOps.add(b.build());
        shard++;
      } else {
        shardOps.addAll(assigns);
      }
    }
    GraphOperationBuilder all = op("NoOp", "restore_all", "");
    shardOps.forEach(all::addControlInput);
    return all.build();
  }

  /** A placeholder per target, for saving snapshots fetched to Java. */
  Map<SaveTarget, Output<?>> snapshotPlaceholders(List<SaveTarget> targets) {
    Map<SaveTarget, Output<?>> out = new LinkedHashMap<>();
    int i = 0;
    for (SaveTarget t : targets) {
      out.put(
          t,
          op("Placeholder", "snapshot/value" + (i == 0 ? "" : "_" + i), "")
              .setAttr("dtype", t.dtype())
              .setAttr("shape", t.shape())
              .build()
              .output(0));
      i++;
    }
    return out;
  }

  /**
   * A deep copy of each target's current value: fetching these gives tensors that later training
   * steps cannot change (a plain fetch of a ref variable may share the variable's buffer).
   */
  List<Output<?>> snapshotCopies(List<SaveTarget> targets) {
    List<Output<?>> out = new ArrayList<>();
    int i = 0;
    for (SaveTarget t : targets) {
      String n = i == 0 ? "" : "_" + i;
      Output<?> value = valueOf(t, "snapshot/read" + n);
      out.add(op("DeepCopy", "snapshot/copy" + n, t.device()).addInput(value).build().output(0));
      i++;
    }
    return out;
  }

  /** The tensor holding a target's value: the ref itself, or a ReadVariableOp of the resource. */
  Output<?> valueOf(SaveTarget t, String readName) {
    if (!t.resource()) {
      return t.variable();
    }
    return op("ReadVariableOp", readName, t.device())
        .addInput(t.variable())
        .setAttr("dtype", t.dtype())
        .build()
        .output(0);
  }

  private GraphOperation saveV2(
      Output<?> prefixTensor,
      List<SaveTarget> targets,
      Function<SaveTarget, Output<?>> values,
      String name,
      String device) {
    GraphOperation names = stringConst(name + "/tensor_names", keys(targets), null);
    GraphOperation slices = stringConst(name + "/shape_and_slices", new String[targets.size()], null);
    Output<?>[] tensors = targets.stream().map(values).toArray(Output<?>[]::new);
    return op("SaveV2", name, device)
        .addInput(prefixTensor)
        .addInput(names.output(0))
        .addInput(slices.output(0))
        .addInputList(tensors)
        .build();
  }

  private static Map<String, List<SaveTarget>> byDevice(List<SaveTarget> targets) {
    Map<String, List<SaveTarget>> out = new java.util.TreeMap<>();
    for (SaveTarget t : targets) {
      out.computeIfAbsent(t.device(), d -> new ArrayList<>()).add(t);
    }
    return out;
  }

  private static String[] keys(List<SaveTarget> targets) {
    return targets.stream().map(SaveTarget::key).toArray(String[]::new);
  }

  /** A string constant: a vector of {@code values} (nulls become ""), or the scalar {@code scalar}. */
  private GraphOperation stringConst(String name, String[] values, String scalar) {
    String[] v = values.clone();
    for (int i = 0; i < v.length; i++) {
      if (v[i] == null) {
        v[i] = "";
      }
    }
    try (TString value = scalar != null ? TString.scalarOf(scalar) : TString.vectorOf(v)) {
      return op("Const", name, "").setAttr("dtype", DataType.DT_STRING).setAttr("value", value).build();
    }
  }

  private GraphOperation intConst(String name, int value) {
    try (Tensor t = TInt32.scalarOf(value)) {
      return op("Const", name, "").setAttr("dtype", DataType.DT_INT32).setAttr("value", t).build();
    }
  }

  private GraphOperationBuilder op(String type, String name, String device) {
    String full = prefix + "/" + name;
    if (graph.operation(full) != null) {
      for (int i = 1; ; i++) {
        if (graph.operation(full + "_" + i) == null) {
          full = full + "_" + i;
          break;
        }
      }
    }
    boolean pinned = device != null && !device.isEmpty();
    return graph.opBuilder(type, full, pinned ? new DeviceScope(scope, device) : scope);
  }
}

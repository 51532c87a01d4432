package dev.tfmon.checkpoint;

import dev.tfmon.graph.DataTypes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/**
 * The restore compatibility check: what a graph's restore ops will read (tensor names, slices,
 * dtypes, and the shapes of the variables they assign), found by walking the graph from the restore
 * op to its RestoreV2 ops, so it works for savers imported from Python too; compared with a
 * checkpoint's index, it names every tensor that would not restore.
 */
final class RestoreCheck {
  private static final String RESTORE = "RestoreV2";

  /**
   * One tensor a RestoreV2 reads.
   *
   * @param shape the assigned variable's declared shape, or unknown
   * @param fullShape the full tensor's shape when a slice is restored, else null
   * @param slice the restored slice, or null for the whole tensor
   * @param variable the assigned variable op's name, or ""
   * @param shapeEnforced true if the runtime rejects a value of another shape (a ref variable's
   *     {@code Assign} with {@code validate_shape}); resource variables take any shape
   */
  record Target(
      String key, DataType dtype, Shape shape, Shape fullShape, TensorSlice slice, String variable,
      boolean shapeEnforced) {

    String expected() {
      Shape s = slice == null ? shape : fullShape;
      return CheckpointReader.typeName(dtype) + " " + CheckpointReader.shapeText(s)
          + (slice == null ? "" : " slice " + slice);
    }
  }

  private final List<Target> targets;

  private RestoreCheck(List<Target> targets) {
    this.targets = List.copyOf(targets);
  }

  /** The tensors the restore op {@code restoreOp} (e.g. {@code save/restore_all}) reads. */
  static RestoreCheck ofRestoreOp(GraphOperation restoreOp) {
    Map<String, Target> out = new LinkedHashMap<>();
    Deque<GraphOperation> queue = new ArrayDeque<>(List.of(restoreOp));
    Set<String> seen = new HashSet<>();
    while (!queue.isEmpty()) {
      GraphOperation op = queue.poll();
      if (!seen.add(op.name())) {
        continue;
      }
      if (op.type().equals(RESTORE)) {
        describe(op, out);
        continue;
      }
      if (op.type().equals("VariableV2") || op.type().equals("VarHandleOp")) {
        continue;
      }
      queue.addAll(op.controlInputs());
      for (int i = 0; i < op.numInputs(); i++) {
        queue.add((GraphOperation) op.input(i).op());
      }
    }
    return new RestoreCheck(new ArrayList<>(out.values()));
  }

  /**
   * What restoring into {@code graph} reads: the targets of every RestoreV2 op in it, or, when it
   * has no saver yet, every global variable a default {@link Saver} would save, whole.
   */
  static RestoreCheck ofGraph(Graph graph) {
    Map<String, Target> out = new LinkedHashMap<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals(RESTORE)) {
        describe(op, out);
      }
    }
    if (out.isEmpty()) {
      for (Output<?> v : SaveTarget.defaultVariables(graph)) {
        SaveTarget t = SaveTarget.of(v);
        out.put(t.key(), new Target(t.key(), t.dtype(), t.shape(), null, null, t.key(), !t.resource()));
      }
    }
    return new RestoreCheck(new ArrayList<>(out.values()));
  }

  /** True if TensorFlow itself rejects every restored value of the wrong shape. */
  boolean shapesEnforcedByRuntime() {
    return targets.stream().allMatch(Target::shapeEnforced);
  }

  /** Every target the checkpoint cannot restore, in target order. */
  List<RestoreMismatch> mismatches(CheckpointReader reader) {
    List<RestoreMismatch> out = new ArrayList<>();
    for (Target t : targets) {
      String slice = t.slice() == null ? "" : t.slice().toString();
      VariableInfo found = reader.variables().get(t.key());
      if (found == null) {
        out.add(new RestoreMismatch(t.key(), slice, t.variable(), t.expected(), null));
        continue;
      }
      String there = found.describe() + (found.sliced() ? " in slices " + joined(found.slices()) : "");
      boolean fits;
      if (found.dataType() != t.dtype()) {
        fits = false;
      } else if (t.slice() != null) {
        fits = t.fullShape().equals(found.shape()) && reader.covers(t.key(), t.slice());
      } else {
        boolean shapeOk = t.shape().isUnknown() || t.shape().equals(found.shape());
        fits = shapeOk && (!found.sliced() || reader.covers(t.key(), TensorSlice.full(found.shape().numDimensions())));
      }
      if (!fits) {
        out.add(new RestoreMismatch(t.key(), slice, t.variable(), t.expected(), there));
      }
    }
    return out;
  }

  private static String joined(List<TensorSlice> slices) {
    List<String> parts = new ArrayList<>();
    slices.forEach(s -> parts.add(s.toString()));
    return String.join("; ", parts);
  }

  /** Adds a RestoreV2's targets: names and slice specs from its constant inputs, dtypes from its attr. */
  private static void describe(GraphOperation restore, Map<String, Target> out) {
    GraphOperation namesOp = (GraphOperation) restore.input(1).op();
    GraphOperation specsOp = (GraphOperation) restore.input(2).op();
    if (!namesOp.type().equals("Const") || !specsOp.type().equals("Const")) {
      return;
    }
    DataType[] dtypes = restore.attributes().getAttrTypeList("dtypes");
    List<String> names = stringValues(namesOp.attributes().getAttrValueProto("value").getTensor());
    List<String> specs = stringValues(specsOp.attributes().getAttrValueProto("value").getTensor());
    if (names.size() != dtypes.length || specs.size() != dtypes.length) {
      return;
    }
    for (int i = 0; i < dtypes.length; i++) {
      Assigned assigned = assignedBy(restore, i);
      Shape fullShape = null;
      TensorSlice slice = null;
      String spec = specs.get(i).strip();
      if (!spec.isEmpty()) {
        try {
          ShapeAndSlice parsed = ShapeAndSlice.parse(spec);
          fullShape = parsed.fullShape();
          slice = parsed.slice();
        } catch (IllegalArgumentException unreadable) {
          continue; // RestoreV2 itself will reject it, with TensorFlow's message
        }
      }
      Target t = new Target(
          names.get(i), DataTypes.base(dtypes[i]), assigned.shape(), fullShape, slice, assigned.variable(),
          assigned.shapeEnforced());
      out.putIfAbsent(names.get(i) + (slice == null ? "" : "@" + slice), t);
    }
  }

  /** A RestoreV2 shape-and-slice spec, e.g. {@code "6 1 0,2:0,1"}: the full shape, then the slice. */
  record ShapeAndSlice(Shape fullShape, TensorSlice slice) {
    static ShapeAndSlice parse(String spec) {
      String[] parts = spec.trim().split("\\s+");
      long[] dims = new long[parts.length - 1];
      try {
        for (int d = 0; d < dims.length; d++) {
          dims[d] = Long.parseLong(parts[d]);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a shape and slice such as '6 1 0,2:-', but got '" + spec + "'", e);
      }
      TensorSlice slice = TensorSlice.parse(parts[parts.length - 1]);
      if (slice.rank() != dims.length) {
        throw new IllegalArgumentException("shape and slice '" + spec + "' has a slice of another rank than its shape");
      }
      return new ShapeAndSlice(Shape.of(dims), slice);
    }
  }

  private record Assigned(String variable, Shape shape, boolean shapeEnforced) {}

  /** The variable output {@code index} of a RestoreV2 is assigned to, through Identity ops. */
  private static Assigned assignedBy(GraphOperation restore, int index) {
    Deque<GraphOperation> consumers = new ArrayDeque<>(restore.consumers(index));
    int guard = 0;
    while (!consumers.isEmpty() && guard++ < 16) {
      GraphOperation c = consumers.poll();
      switch (c.type()) {
        case "Identity" -> consumers.addAll(c.consumers(0));
        case "Assign", "AssignVariableOp" -> {
          GraphOperation variable = (GraphOperation) c.input(0).op();
          if (variable.type().equals("VariableV2") || variable.type().equals("VarHandleOp")) {
            Shape shape = variable.attributes().getAttrShape("shape");
            boolean enforced = c.type().equals("Assign") && validatesShape(c) && !shape.hasUnknownDimension();
            return new Assigned(variable.name(), shape, enforced);
          }
        }
        default -> { }
      }
    }
    return new Assigned("", Shape.unknown(), false);
  }

  private static boolean validatesShape(GraphOperation assign) {
    try {
      return assign.attributes().getAttrBool("validate_shape");
    } catch (RuntimeException absent) {
      return true; // the attribute's default
    }
  }

  /**
   * The strings of a DT_STRING TensorProto, stored as string_val or as tensor_content (varint
   * lengths, then the bytes).
   */
  private static List<String> stringValues(TensorProto proto) {
    List<String> out = new ArrayList<>();
    if (proto.getStringValCount() > 0) {
      proto.getStringValList().forEach(b -> out.add(b.toStringUtf8()));
      return out;
    }
    long n = 1;
    for (var d : proto.getTensorShape().getDimList()) {
      n *= d.getSize();
    }
    byte[] content = proto.getTensorContent().toByteArray();
    int pos = 0;
    long[] lengths = new long[(int) n];
    for (int i = 0; i < n; i++) {
      long v = 0;
      for (int shift = 0; ; shift += 7) {
        if (pos >= content.length || shift > 63) {
          return List.of();
        }
        int b = content[pos++] & 0xff;
        v |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      lengths[i] = v;
    }
    for (long len : lengths) {
      if (pos + len > content.length) {
        return List.of();
      }
      out.add(new String(content, pos, (int) len, StandardCharsets.UTF_8));
      pos += (int) len;
    }
    return out;
  }
}

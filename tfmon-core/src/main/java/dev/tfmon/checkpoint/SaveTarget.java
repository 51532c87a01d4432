package dev.tfmon.checkpoint;

import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.DataTypes;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * One variable a {@link Saver} writes: its checkpoint key, the variable tensor, its value dtype and
 * declared shape, and its device (which decides its shard when saving sharded).
 */
record SaveTarget(String key, Output<?> variable, boolean resource, DataType dtype, Shape shape, String device) {

  /**
   * Describes the variable op behind {@code variable} ({@code VariableV2} or {@code VarHandleOp}).
   *
   * @throws IllegalArgumentException naming the op, if it is not a variable
   */
  static SaveTarget of(Output<?> variable) {
    GraphOperation op = (GraphOperation) variable.op();
    String type = op.type();
    if (!type.equals("VariableV2") && !type.equals("VarHandleOp") && !type.equals("Variable")) {
      throw new IllegalArgumentException(
          "'" + op.name() + "' is a " + type + ", not a variable (VariableV2 or VarHandleOp)");
    }
    var attrs = op.attributes();
    DataType dtype = DataTypes.base(attrs.getAttrType("dtype"));
    Shape shape = attrs.getAttrShape("shape");
    return new SaveTarget(op.name(), variable, type.equals("VarHandleOp"), dtype, shape, op.device());
  }

  /**
   * The variables a saver saves by default, as TensorFlow 1.x's: the global variables collection,
   * then every other variable op of the graph that is not a local variable, each once.
   */
  static List<Output<?>> defaultVariables(Graph graph) {
    GraphCollections collections = GraphCollections.of(graph);
    List<Output<?>> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Set<String> local = new HashSet<>();
    collections.variables(CollectionKeys.LOCAL_VARIABLES).forEach(v -> local.add(v.name()));
    for (GraphVariable v : collections.variables(CollectionKeys.GLOBAL_VARIABLES)) {
      if (seen.add(v.name())) {
        out.add(v.variable());
      }
    }
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      boolean variable = op.type().equals("VariableV2") || op.type().equals("VarHandleOp");
      if (variable && !local.contains(op.name()) && seen.add(op.name())) {
        out.add(op.output(0));
      }
    }
    return out;
  }
}

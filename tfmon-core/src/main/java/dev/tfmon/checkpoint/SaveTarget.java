package dev.tfmon.checkpoint;

import dev.tfmon.graph.DataTypes;
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
}

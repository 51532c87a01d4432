package dev.tfmon.graph;

import dev.tfmon.runtime.GraphNames;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.proto.VariableDef;

/**
 * A variable of a graph as TensorFlow's collections describe it ({@code VariableDef}): the variable
 * tensor, its initializer, its snapshot (the value read), whether it is trainable and whether it is
 * a resource variable.
 *
 * @param variable the variable's output ({@code VariableV2}'s ref, or a {@code VarHandleOp}'s handle)
 * @param initializer the operation that assigns the initial value, or null
 * @param snapshot the tensor that reads the value (Python's {@code w/read:0}), or null
 * @param initialValue the initial value tensor, or null
 * @param trainable whether optimizers update it
 */
public record GraphVariable(
    Output<?> variable,
    GraphOperation initializer,
    Output<?> snapshot,
    Output<?> initialValue,
    boolean trainable) {

  public GraphVariable {
    Objects.requireNonNull(variable, "variable");
  }

  /** The variable's op name ({@code "w"}), which is also its key in checkpoints. */
  public String name() {
    return variable.op().name();
  }

  /** True for a resource variable ({@code VarHandleOp}). */
  public boolean isResource() {
    return variable.op().type().equals("VarHandleOp");
  }

  /** Python's {@code VariableDef} for this variable, as written into a MetaGraph. */
  public VariableDef toProto() {
    VariableDef.Builder b =
        VariableDef.newBuilder()
            .setVariableName(GraphNames.tensorName(variable))
            .setTrainable(trainable)
            .setIsResource(isResource());
    if (initializer != null) {
      b.setInitializerName(initializer.name());
    }
    if (snapshot != null) {
      b.setSnapshotName(GraphNames.tensorName(snapshot));
    }
    if (initialValue != null) {
      b.setInitialValueName(GraphNames.tensorName(initialValue));
    }
    return b.build();
  }

  /**
   * Finds the variable a {@code VariableDef} describes in {@code graph} (after a MetaGraph import
   * with {@code importScope} prepended to every name, {@code ""} for none).
   *
   * @throws IllegalArgumentException naming the missing tensor or operation
   */
  public static GraphVariable fromProto(Graph graph, VariableDef def, String importScope) {
    String prefix = importScope.isEmpty() ? "" : importScope + "/";
    Output<?> variable = GraphNames.output(graph, prefix + def.getVariableName());
    GraphOperation initializer =
        def.getInitializerName().isEmpty()
            ? null
            : GraphNames.operation(graph, prefix + def.getInitializerName());
    Output<?> snapshot =
        def.getSnapshotName().isEmpty()
            ? null
            : GraphNames.output(graph, prefix + def.getSnapshotName());
    Output<?> initialValue =
        def.getInitialValueName().isEmpty()
            ? null
            : GraphNames.output(graph, prefix + def.getInitialValueName());
    return new GraphVariable(variable, initializer, snapshot, initialValue, def.getTrainable());
  }
}

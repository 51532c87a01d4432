package dev.tfmon.runtime;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_GraphGetOpDef;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_UpdateEdge;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Objects;
import java.util.OptionalInt;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TfmonBridge;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.TF_Input;
import org.tensorflow.internal.c_api.TF_Output;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.OpDef;

/**
 * The two graph edits TF Java's builders cannot make, both on TensorFlow's C API: reading an op
 * type's definition ({@code TF_GraphGetOpDef}) and pointing an existing op's input at another tensor
 * ({@code TF_UpdateEdge}, what Python's {@code Operation._update_input} calls). Graph-side code uses
 * them to wire a tensor into ops a library built around a constant, before any session runs the
 * graph.
 *
 * <pre>{@code
 * int lr = GraphEdits.inputIndex(applyOp, "lr").orElseThrow();
 * GraphEdits.replaceInput(applyOp, lr, scheduledRate);
 * }</pre>
 */
public final class GraphEdits {
  private GraphEdits() {}

  /**
   * The registered definition of op type {@code opType} (its inputs, outputs and attributes).
   *
   * @throws IllegalArgumentException if no op of that type is registered
   */
  public static OpDef opDef(Graph graph, String opType) {
    Objects.requireNonNull(opType, "opType");
    try (TfmonBridge.GraphLease lease = TfmonBridge.leaseGraph(graph);
        PointerScope scope = new PointerScope()) {
      TF_Buffer buffer = TF_Buffer.newBuffer();
      TF_Status status = TF_Status.newStatus();
      TF_GraphGetOpDef(lease.handle(), opType, buffer, status);
      try {
        NativeSession.throwIfNotOk(status, "looking up op type '" + opType + "'");
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("no op type '" + opType + "' is registered", e);
      }
      return OpDef.parseFrom(buffer.copyData());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("TensorFlow returned an OpDef for '" + opType + "' that does not parse", e);
    }
  }

  /**
   * The position among {@code op}'s inputs of the input its op definition names {@code argName}
   * (counting every tensor of the list inputs before it), or empty if it has no such input.
   */
  public static OptionalInt inputIndex(GraphOperation op, String argName) {
    int index = 0;
    for (OpDef.ArgDef arg : opDef(op.env(), op.type()).getInputArgList()) {
      if (arg.getName().equals(argName)) {
        return OptionalInt.of(index);
      }
      boolean list = !arg.getNumberAttr().isEmpty() || !arg.getTypeListAttr().isEmpty();
      index += list ? op.inputListLength(arg.getName()) : 1;
    }
    return OptionalInt.empty();
  }

  /**
   * Makes input {@code inputIndex} of {@code consumer} read {@code source} instead of the tensor it
   * reads now. The source must have the input's dtype (TensorFlow does not check it here) and a
   * shape compatible with it. The tensor it read before stays in the graph, unused by {@code
   * consumer}.
   *
   * @throws IllegalArgumentException if the index is out of range, the source belongs to another
   *     graph or its dtype differs from the current input's, or TensorFlow rejects the shapes
   */
  public static void replaceInput(GraphOperation consumer, int inputIndex, Operand<?> source) {
    Graph graph = consumer.env();
    Output<?> src = source.asOutput();
    GraphNames.requireSameGraph(graph, src, "wire");
    if (inputIndex < 0 || inputIndex >= consumer.numInputs()) {
      throw new IllegalArgumentException(
          "operation '"
              + consumer.name()
              + "' has "
              + consumer.numInputs()
              + " input(s), so input "
              + inputIndex
              + " does not exist");
    }
    Output<?> current = consumer.input(inputIndex);
    if (current.dataType() != src.dataType()) {
      throw new IllegalArgumentException(
          "input "
              + inputIndex
              + " of '"
              + consumer.name()
              + "' is "
              + current.dataType()
              + ", but '"
              + GraphNames.tensorName(src)
              + "' is "
              + src.dataType());
    }
    try (TfmonBridge.GraphLease lease = TfmonBridge.leaseGraph(graph);
        PointerScope scope = new PointerScope()) {
      TF_Output from = new TF_Output().oper(TfmonBridge.operationHandle(src.op())).index(src.index());
      TF_Input to = new TF_Input().oper(consumer.getUnsafeNativeHandle()).index(inputIndex);
      TF_Status status = TF_Status.newStatus();
      TF_UpdateEdge(lease.handle(), from, to, status);
      try {
        NativeSession.throwIfNotOk(
            status, "wiring '" + GraphNames.tensorName(src) + "' into '" + consumer.name() + "'");
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
  }
}

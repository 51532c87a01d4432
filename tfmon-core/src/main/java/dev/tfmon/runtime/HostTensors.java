package dev.tfmon.runtime;

import java.util.Objects;
import org.tensorflow.Tensor;
import org.tensorflow.internal.types.registry.TensorTypeRegistry;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;

/**
 * Tensors made from raw bytes in TensorFlow's host layout (little-endian, row-major), for code that
 * reads tensors from files, such as the checkpoint reader. The dtype-to-class lookup it needs is an
 * internal API of TF Java, so it lives here, beside the rest of tfmon's use of TF Java internals.
 *
 * <pre>{@code
 * try (Tensor t = HostTensors.fromBytes(DataType.DT_FLOAT, Shape.of(2), bytes)) { ... }
 * }</pre>
 */
public final class HostTensors {
  private HostTensors() {}

  /**
   * A new tensor of {@code dtype} and {@code shape} holding a copy of {@code bytes}; the caller owns
   * (and closes) it. Not for strings, whose host layout is not a flat byte array.
   *
   * @throws IllegalArgumentException if the dtype has no tensor class in TF Java, or the byte count
   *     does not fit the shape
   */
  public static Tensor fromBytes(DataType dtype, Shape shape, byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (dtype == DataType.DT_STRING) {
      throw new IllegalArgumentException("string tensors are not stored as flat bytes; use TString");
    }
    var type = TensorTypeRegistry.find(dtype);
    long expected = shape.size() * type.byteSize();
    if (type.byteSize() > 0 && expected != bytes.length) {
      throw new IllegalArgumentException(
          "a " + dtype + " tensor of shape " + shape + " needs " + expected + " bytes, but got " + bytes.length);
    }
    return Tensor.of(type.type(), shape, DataBuffers.of(bytes, true, false));
  }

  /**
   * Bytes per element of {@code dtype} in host layout.
   *
   * @throws IllegalArgumentException for a variable-length dtype (string) or one TF Java lacks
   */
  public static int elementSize(DataType dtype) {
    var type = TensorTypeRegistry.find(dtype);
    if (type.isVariableLength() || type.byteSize() <= 0) {
      throw new IllegalArgumentException(dtype + " has no fixed element size");
    }
    return type.byteSize();
  }
}

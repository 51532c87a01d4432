package dev.tfmon.runtime;

import java.util.Objects;
import org.tensorflow.Tensor;
import org.tensorflow.internal.types.registry.TensorTypeRegistry;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;

/**
 * Tensors built from the bytes TensorFlow keeps a fixed-size tensor in (row-major, little-endian),
 * which is also how a V2 checkpoint stores it. The dtype-to-class lookup needs TF Java's internal
 * type registry, and internal packages are used only in {@code runtime}.
 *
 * <pre>{@code
 * try (Tensor t = RawTensors.fromBytes(DataType.DT_FLOAT, Shape.of(2), bytes)) { ... }
 * }</pre>
 */
public final class RawTensors {
  private RawTensors() {}

  /**
   * A new tensor (the caller closes it) holding a copy of {@code bytes}.
   *
   * @throws IllegalArgumentException naming the dtype if it is a string or has no Java type, or if
   *     the byte count does not fit the shape
   */
  public static Tensor fromBytes(DataType dtype, Shape shape, byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (dtype == DataType.DT_STRING) {
      throw new IllegalArgumentException(
          "expected a fixed-size dtype, but got DT_STRING (its bytes are not laid out as a buffer)");
    }
    Class<? extends org.tensorflow.types.family.TType> type;
    try {
      type = TensorTypeRegistry.find(dtype).type();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("no TF Java tensor type for dtype " + dtype, e);
    }
    return Tensor.of(type, shape, DataBuffers.of(bytes, true, false));
  }
}

package dev.tfmon.export;

import org.tensorflow.Tensor;
import org.tensorflow.internal.types.registry.TensorTypeInfo;
import org.tensorflow.internal.types.registry.TensorTypeRegistry;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorShapeProto;

/** The input a verified export runs when the caller gives none: zeros of the signature's shape. */
final class SampleInputs {
  private SampleInputs() {}

  /**
   * The concrete shape of a sample for a declared shape: each unknown dimension (a batch of any
   * size) becomes 1.
   *
   * @throws IllegalArgumentException if the rank is unknown
   */
  static Shape concreteShape(TensorShapeProto declared, String what) {
    if (declared.getUnknownRank()) {
      throw new IllegalArgumentException(
          what + " has an unknown rank, so no zero sample can be made: give a sample input");
    }
    long[] dims = new long[declared.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      long d = declared.getDim(i).getSize();
      dims[i] = d < 0 ? 1 : d;
    }
    return Shape.of(dims);
  }

  /**
   * A tensor of {@code dtype} and {@code shape} holding zeros (false for booleans). The caller
   * closes it.
   *
   * @throws IllegalArgumentException for a dtype without a fixed-size zero (strings, resources)
   */
  static Tensor zeros(DataType dtype, Shape shape, String what) {
    TensorTypeInfo<?> info;
    try {
      info = TensorTypeRegistry.find(dtype);
    } catch (IllegalArgumentException e) {
      info = null;
    }
    if (info == null || info.isVariableLength() || info.byteSize() <= 0) {
      throw new IllegalArgumentException(
          what + " is " + dtype + ", which has no zero sample: give a sample input");
    }
    Tensor t = Tensor.of(info.type(), shape);
    // TensorFlow allocates without clearing the buffer.
    ByteDataBuffer bytes = t.asRawTensor().data();
    byte[] zero = new byte[(int) Math.min(bytes.size(), 1 << 16)];
    for (long at = 0; at < bytes.size(); at += zero.length) {
      int n = (int) Math.min(zero.length, bytes.size() - at);
      bytes.offset(at).write(zero, 0, n);
    }
    return t;
  }
}

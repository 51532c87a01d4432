package dev.tfmon.export;

import java.util.Map;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

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
    Class<? extends TType> type = FIXED_SIZE.get(dtype);
    if (type == null) {
      throw new IllegalArgumentException(
          what + " is " + dtype + ", which has no zero sample: give a sample input");
    }
    Tensor t = Tensor.of(type, shape);
    // TensorFlow allocates without clearing the buffer.
    ByteDataBuffer bytes = t.asRawTensor().data();
    byte[] zero = new byte[(int) Math.min(bytes.size(), 1 << 16)];
    for (long at = 0; at < bytes.size(); at += zero.length) {
      int n = (int) Math.min(zero.length, bytes.size() - at);
      bytes.offset(at).write(zero, 0, n);
    }
    return t;
  }

  /** The fixed-size dtypes of TF Java, whose all-zero bytes are the value zero (false). */
  private static final Map<DataType, Class<? extends TType>> FIXED_SIZE = Map.of(
      DataType.DT_FLOAT, TFloat32.class,
      DataType.DT_DOUBLE, TFloat64.class,
      DataType.DT_HALF, TFloat16.class,
      DataType.DT_BFLOAT16, TBfloat16.class,
      DataType.DT_INT32, TInt32.class,
      DataType.DT_INT64, TInt64.class,
      DataType.DT_UINT8, TUint8.class,
      DataType.DT_UINT16, TUint16.class,
      DataType.DT_BOOL, TBool.class);
}

package dev.tfmon.eval.metrics;

import java.util.Arrays;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * A metric's value read from a session: its shape and its elements (row-major) as doubles, copied
 * out of the tensor (float32 values are widened exactly).
 *
 * <pre>{@code
 * double accuracy = values.get("accuracy").scalar();
 * double[] matrix = values.get("confusion_matrix").values();   // shape() is [3, 3]
 * }</pre>
 */
public final class MetricValue {
  private final long[] shape;
  private final double[] values;

  private MetricValue(long[] shape, double[] values) {
    this.shape = shape;
    this.values = values;
  }

  /** A scalar value. */
  public static MetricValue scalar(double value) {
    return new MetricValue(new long[0], new double[] {value});
  }

  /**
   * A value of {@code shape} with {@code values} row-major (as read back from an evaluation
   * ledger); both arrays are copied.
   *
   * @throws IllegalArgumentException if the number of values does not match the shape
   */
  public static MetricValue of(long[] shape, double[] values) {
    long size = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("expected a shape of sizes >= 0, but got " + Arrays.toString(shape));
      }
      size *= d;
    }
    if (size != values.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + size + " values, but got " + values.length);
    }
    return new MetricValue(shape.clone(), values.clone());
  }

  /**
   * Copies a numeric tensor (float32, float64, int32 or int64); the tensor stays the caller's.
   *
   * @throws IllegalArgumentException for another dtype
   */
  public static MetricValue of(Tensor tensor) {
    Shape s = tensor.shape();
    int size = Math.toIntExact(s.size());
    double[] out = new double[size];
    long[] index = new long[s.numDimensions()];
    for (int i = 0; i < size; i++) {
      out[i] = element(tensor, index);
      for (int d = index.length - 1; d >= 0 && ++index[d] == s.size(d); d--) {
        index[d] = 0;
      }
    }
    return new MetricValue(s.asArray(), out);
  }

  private static double element(Tensor t, long[] index) {
    if (t instanceof TFloat32) {
      return ((TFloat32) t).getFloat(index);
    }
    if (t instanceof TFloat64) {
      return ((TFloat64) t).getDouble(index);
    }
    if (t instanceof TInt64) {
      return ((TInt64) t).getLong(index);
    }
    if (t instanceof TInt32) {
      return ((TInt32) t).getInt(index);
    }
    throw new IllegalArgumentException(
        "a metric value must be float32, float64, int32 or int64, but got " + t.dataType());
  }

  /** The dimensions ({@code []} for a scalar). */
  public long[] shape() {
    return shape.clone();
  }

  /** The elements, row-major. */
  public double[] values() {
    return values.clone();
  }

  public boolean isScalar() {
    return shape.length == 0;
  }

  /**
   * The value of a scalar metric.
   *
   * @throws IllegalStateException if the value is not a scalar
   */
  public double scalar() {
    if (!isScalar()) {
      throw new IllegalStateException(
          "this metric value has shape " + Arrays.toString(shape) + ", not a scalar");
    }
    return values[0];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MetricValue other
        && Arrays.equals(shape, other.shape)
        && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return isScalar()
        ? Double.toString(values[0])
        : Arrays.toString(shape) + " " + Arrays.toString(values);
  }
}

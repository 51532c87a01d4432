package dev.tfmon.export;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TFloating;

/**
 * Compares the output of an exported model with the training session's: floating-point values
 * within a tolerance relative to the expected magnitude (at least 1), everything else exactly.
 */
final class TensorComparison {
  private TensorComparison() {}

  /**
   * How far {@code actual} is from {@code expected}.
   *
   * @param maxDifference the largest absolute difference (0 for equal non-float tensors, infinite
   *     when they differ in dtype, shape or any non-float value)
   * @param within whether every value is within the tolerance
   * @param detail what differs, for messages ("" when within)
   */
  record Difference(double maxDifference, boolean within, String detail) {}

  static Difference compare(Tensor expected, Tensor actual, double tolerance) {
    if (expected.dataType() != actual.dataType()) {
      return mismatch("dtype " + actual.dataType() + " instead of " + expected.dataType());
    }
    if (!expected.shape().equals(actual.shape())) {
      return mismatch("shape " + actual.shape() + " instead of " + expected.shape());
    }
    if (expected instanceof TFloating) {
      double[] e = doubles(expected);
      double[] a = doubles(actual);
      double max = 0;
      boolean within = true;
      int worst = -1;
      for (int i = 0; i < e.length; i++) {
        if (Double.isNaN(e[i]) && Double.isNaN(a[i])) {
          continue;
        }
        double d = e[i] == a[i] ? 0 : Math.abs(e[i] - a[i]);
        if (Double.isNaN(d)) {
          d = Double.POSITIVE_INFINITY;
        }
        max = Math.max(max, d);
        if (within && d > tolerance * Math.max(1.0, Math.abs(e[i]))) {
          within = false;
          worst = i;
        }
      }
      return new Difference(max, within, within ? "" : "value " + worst + " is " + a[worst] + " instead of " + e[worst]);
    }
    if (expected instanceof TString) {
      List<String> e = strings((TString) expected);
      List<String> a = strings((TString) actual);
      for (int i = 0; i < e.size(); i++) {
        if (!e.get(i).equals(a.get(i))) {
          return mismatch("value " + i + " is '" + a.get(i) + "' instead of '" + e.get(i) + "'");
        }
      }
      return new Difference(0, true, "");
    }
    ByteDataBuffer e = expected.asRawTensor().data();
    ByteDataBuffer a = actual.asRawTensor().data();
    for (long i = 0; i < e.size(); i++) {
      if (e.getByte(i) != a.getByte(i)) {
        return mismatch("byte " + i + " of the " + expected.dataType() + " values differs");
      }
    }
    return new Difference(0, true, "");
  }

  private static Difference mismatch(String detail) {
    return new Difference(Double.POSITIVE_INFINITY, false, detail);
  }

  private static double[] doubles(Tensor t) {
    double[] out = new double[(int) t.shape().size()];
    int[] i = {0};
    if (t instanceof TFloat64) {
      ((TFloat64) t).scalars().forEach(s -> out[i[0]++] = s.getDouble());
    } else {
      // float32, float16 and bfloat16 all read as floats
      ((org.tensorflow.ndarray.FloatNdArray) t).scalars().forEach(s -> out[i[0]++] = s.getFloat());
    }
    return out;
  }

  private static List<String> strings(TString t) {
    List<String> out = new ArrayList<>();
    t.scalars().forEach(s -> out.add(s.getObject()));
    return out;
  }
}

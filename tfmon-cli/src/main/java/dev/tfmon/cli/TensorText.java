package dev.tfmon.cli;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.BooleanNdArray;
import org.tensorflow.ndarray.ByteNdArray;
import org.tensorflow.ndarray.DoubleNdArray;
import org.tensorflow.ndarray.FloatNdArray;
import org.tensorflow.ndarray.IntNdArray;
import org.tensorflow.ndarray.LongNdArray;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.ShortNdArray;
import org.tensorflow.types.TString;

/**
 * A tensor's values as text, row-major: all of them when there are at most {@code maxValues},
 * otherwise the first and last few with the min, max and mean.
 *
 * <pre>{@code
 * String text = TensorText.format(tensor, 20);   // "[1.0, -2.0, 3.0, 0.5]"
 * }</pre>
 */
final class TensorText {
  private TensorText() {}

  static String format(Tensor t, int maxValues) {
    List<String> values = new ArrayList<>();
    double[] numbers = numbers(t, values);
    int n = values.size();
    if (n <= maxValues) {
      return "[" + String.join(", ", values) + "]";
    }
    int head = Math.max(1, maxValues * 2 / 3);
    int tail = Math.max(1, maxValues - head);
    StringBuilder s = new StringBuilder("[");
    s.append(String.join(", ", values.subList(0, head)));
    s.append(", ... (").append(n - head - tail).append(" more) ..., ");
    s.append(String.join(", ", values.subList(n - tail, n))).append(']');
    if (numbers != null) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      for (double d : numbers) {
        min = Math.min(min, d);
        max = Math.max(max, d);
        sum += d;
      }
      s.append(String.format("%nmin %s  max %s  mean %s", num(min), num(max), num(sum / n)));
    }
    return s.toString();
  }

  /** Every value of {@code t} as text, row-major (strings quoted). */
  static List<String> values(Tensor t) {
    List<String> text = new ArrayList<>();
    numbers(t, text);
    return text;
  }

  private static String num(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf((float) d);
  }

  /** Fills {@code text} with every value; returns them as numbers, or null for strings. */
  @SuppressWarnings("unchecked")
  private static double[] numbers(Tensor t, List<String> text) {
    List<Double> nums = new ArrayList<>();
    if (t instanceof FloatNdArray) {
      ((FloatNdArray) t).scalars().forEach(s -> add(text, nums, s.getFloat(), Float.toString(s.getFloat())));
    } else if (t instanceof DoubleNdArray) {
      ((DoubleNdArray) t).scalars().forEach(s -> add(text, nums, s.getDouble(), Double.toString(s.getDouble())));
    } else if (t instanceof IntNdArray) {
      ((IntNdArray) t).scalars().forEach(s -> add(text, nums, s.getInt(), Integer.toString(s.getInt())));
    } else if (t instanceof LongNdArray) {
      ((LongNdArray) t).scalars().forEach(s -> add(text, nums, s.getLong(), Long.toString(s.getLong())));
    } else if (t instanceof ShortNdArray) {
      ((ShortNdArray) t).scalars().forEach(s -> add(text, nums, s.getShort(), Short.toString(s.getShort())));
    } else if (t instanceof ByteNdArray) {
      ((ByteNdArray) t).scalars().forEach(s -> add(text, nums, s.getByte(), Byte.toString(s.getByte())));
    } else if (t instanceof BooleanNdArray) {
      ((BooleanNdArray) t)
          .scalars()
          .forEach(s -> add(text, nums, s.getBoolean() ? 1 : 0, Boolean.toString(s.getBoolean())));
    } else if (t instanceof TString) {
      ((NdArray<String>) t).scalars().forEach(s -> text.add('"' + s.getObject() + '"'));
      return null;
    } else {
      throw CliException.failure("cannot print tensors of type " + t.dataType());
    }
    double[] out = new double[nums.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = nums.get(i);
    }
    return out;
  }

  private static void add(List<String> text, List<Double> nums, double value, String shown) {
    text.add(shown);
    nums.add(value);
  }
}

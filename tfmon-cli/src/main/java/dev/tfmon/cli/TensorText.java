package dev.tfmon.cli;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.BooleanNdArray;
import org.tensorflow.ndarray.ByteNdArray;
import org.tensorflow.ndarray.DoubleNdArray;
import org.tensorflow.ndarray.FloatNdArray;
import org.tensorflow.ndarray.IntNdArray;
import org.tensorflow.ndarray.LongNdArray;
import org.tensorflow.ndarray.ShortNdArray;
import org.tensorflow.types.TString;

/**
 * A tensor's values as text, row-major: all of them when there are at most {@code maxValues},
 * otherwise the first and last few with the min, max and mean. Strings are quoted and escaped, or
 * shown as length and hex when they are not text.
 *
 * <pre>{@code
 * String text = TensorText.format(tensor, 20);   // "[1.0, -2.0, 3.0, 0.5]"
 * }</pre>
 */
final class TensorText {
  /** Bytes shown of a string that is not text. */
  private static final int HEX_PREFIX = 16;

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
      ((TString) t).asBytes().scalars().forEach(s -> text.add(string(s.getObject())));
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

  /**
   * A string element as a user can read it on a terminal: quoted, with {@code \\ " \t \n \r}
   * escaped, when it is UTF-8 text without other control characters; otherwise its length and
   * its first bytes in hex ({@code <8 bytes 0001feff20726177>}), never the raw bytes.
   */
  static String string(byte[] bytes) {
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    String text;
    try {
      text = utf8.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return hex(bytes);
    }
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> {
          int type = Character.getType(c);
          if (type == Character.CONTROL || type == Character.FORMAT || type == Character.UNASSIGNED
              || type == Character.PRIVATE_USE || type == Character.SURROGATE) {
            return hex(bytes);
          }
          out.appendCodePoint(c);
        }
      }
    }
    return out.append('"').toString();
  }

  private static String hex(byte[] bytes) {
    int shown = Math.min(bytes.length, HEX_PREFIX);
    return "<" + bytes.length + " bytes " + HexFormat.of().formatHex(bytes, 0, shown)
        + (shown < bytes.length ? "..." : "") + ">";
  }

  private static void add(List<String> text, List<Double> nums, double value, String shown) {
    text.add(shown);
    nums.add(value);
  }
}

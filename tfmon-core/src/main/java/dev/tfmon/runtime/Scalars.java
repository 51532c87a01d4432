package dev.tfmon.runtime;

import java.util.Locale;
import java.util.function.Supplier;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Reads one number out of a scalar tensor: the one place tfmon does it. {@link RunResult} and the
 * hooks' {@code SessionRunValues} read their typed values ({@code getFloat(loss)}, {@code
 * getLong(step)}) through it. A read widens only where no value is lost (an int32 read as a long,
 * a float32 as a double); anything else is an error naming the tensor, its dtype and its shape.
 * The name is a supplier, asked only then: a read on the training path costs no native name
 * lookup.
 *
 * <pre>{@code
 * try (Tensor t = reader.read("global_step")) {
 *   long step = Scalars.longOf(t, () -> "global_step");
 * }
 * }</pre>
 */
public final class Scalars {
  private Scalars() {}

  /** The value of a float32 scalar. */
  public static float floatOf(Tensor t, Supplier<String> name) {
    return scalar(t, TFloat32.class, name, "a float32").getFloat();
  }

  /** The value of a float64 or float32 scalar. */
  public static double doubleOf(Tensor t, Supplier<String> name) {
    String kind = "a float64 or float32";
    return t instanceof TFloat32
        ? scalar(t, TFloat32.class, name, kind).getFloat()
        : scalar(t, TFloat64.class, name, kind).getDouble();
  }

  /** The value of an int32 scalar. */
  public static int intOf(Tensor t, Supplier<String> name) {
    return scalar(t, TInt32.class, name, "an int32").getInt();
  }

  /** The value of an int64 or int32 scalar (a global step may be either). */
  public static long longOf(Tensor t, Supplier<String> name) {
    String kind = "an int64 or int32";
    return t instanceof TInt32
        ? scalar(t, TInt32.class, name, kind).getInt()
        : scalar(t, TInt64.class, name, kind).getLong();
  }

  /**
   * The value of any real-number or boolean scalar as a double (true is 1): for values that are
   * only displayed or exported, such as a metrics gauge.
   */
  public static double numberOf(Tensor t, Supplier<String> name) {
    String kind = "a float, double, int, long or bool";
    requireScalar(t, name, kind);
    if (t instanceof TFloat32 || t instanceof TFloat64) {
      return doubleOf(t, name);
    }
    if (t instanceof TInt32 || t instanceof TInt64) {
      return longOf(t, name);
    }
    if (t instanceof TBool b) {
      return b.getBoolean() ? 1 : 0;
    }
    throw wrongKind(t, name, kind);
  }

  /** TensorFlow's short dtype name: {@code float32}, {@code int64}, {@code string}. */
  private static String dtypeName(DataType dtype) {
    return switch (dtype) {
      case DT_FLOAT -> "float32";
      case DT_DOUBLE -> "float64";
      case DT_HALF -> "float16";
      default -> dtype.name().replaceFirst("^DT_", "").toLowerCase(Locale.ROOT);
    };
  }

  /** {@code t} as a {@code type}, if it is a scalar of that type; {@code kind} names what was wanted. */
  private static <T extends Tensor> T scalar(Tensor t, Class<T> type, Supplier<String> name, String kind) {
    requireScalar(t, name, kind);
    if (!type.isInstance(t)) {
      throw wrongKind(t, name, kind);
    }
    return type.cast(t);
  }

  private static void requireScalar(Tensor t, Supplier<String> name, String kind) {
    if (t.shape().numDimensions() != 0) {
      throw wrongKind(t, name, kind);
    }
  }

  private static IllegalArgumentException wrongKind(Tensor t, Supplier<String> name, String kind) {
    return new IllegalArgumentException(
        "expected '"
            + name.get()
            + "' to be "
            + kind
            + " scalar, but got a tensor of dtype "
            + dtypeName(t.dataType())
            + " and shape "
            + t.shape());
  }
}

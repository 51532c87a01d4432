package dev.tfmon.graph;

import org.tensorflow.proto.DataType;

/** Small facts about TensorFlow dtypes. */
public final class DataTypes {
  private DataTypes() {}

  /** The value type of a reference type ({@code DT_FLOAT_REF} gives {@code DT_FLOAT}). */
  public static DataType base(DataType type) {
    int n = type.getNumber();
    return n > 100 ? DataType.forNumber(n - 100) : type;
  }
}

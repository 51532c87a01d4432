package dev.tfmon.cli;

import dev.tfmon.checkpoint.CheckpointReader;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * CSV columns as the tensor a placeholder or a signature input takes: one row per CSV row, one
 * column per chosen CSV column ({@code [rows, k]}), or a vector ({@code [rows]}) when the declared
 * shape has rank 1.
 *
 * <pre>{@code
 * try (Tensor x = CsvTensors.of(DataType.DT_FLOAT, Shape.of(-1, 4), "input 'x'", table, 0, table.rows().size(),
 *     new int[] {0, 1, 2, 3})) { ... }
 * }</pre>
 */
final class CsvTensors {
  private CsvTensors() {}

  /**
   * The rows {@code start} (inclusive) to {@code end} of {@code table}.
   *
   * @param what names the receiver in errors, e.g. {@code "placeholder 'x'"}
   * @throws CliException usage error for a dtype other than float32, float64, int32 and int64;
   *     failure naming file, line and column for a value an integer tensor cannot take whole
   */
  static Tensor of(DataType type, Shape declared, String what, CsvTable table, int start, int end, int[] cols) {
    List<double[]> rows = table.rows().subList(start, end);
    boolean matrix = declared.isUnknown() || declared.numDimensions() == 2;
    Shape s = matrix ? Shape.of(rows.size(), cols.length) : Shape.of(rows.size());
    switch (type) {
      case DT_FLOAT: {
        TFloat32 t = TFloat32.tensorOf(s);
        fill(rows, cols, (i, j, v) -> { if (matrix) t.setFloat((float) v, i, j); else t.setFloat((float) v, i); });
        return t;
      }
      case DT_DOUBLE: {
        TFloat64 t = TFloat64.tensorOf(s);
        fill(rows, cols, (i, j, v) -> { if (matrix) t.setDouble(v, i, j); else t.setDouble(v, i); });
        return t;
      }
      case DT_INT32: {
        requireIntegers(type, what, table, start, end, cols, -0x1p31, 0x1p31);
        TInt32 t = TInt32.tensorOf(s);
        fill(rows, cols, (i, j, v) -> { if (matrix) t.setInt((int) v, i, j); else t.setInt((int) v, i); });
        return t;
      }
      case DT_INT64: {
        requireIntegers(type, what, table, start, end, cols, -0x1p63, 0x1p63);
        TInt64 t = TInt64.tensorOf(s);
        fill(rows, cols, (i, j, v) -> { if (matrix) t.setLong((long) v, i, j); else t.setLong((long) v, i); });
        return t;
      }
      default:
        throw CliException.usage(
            what + " has dtype " + CheckpointReader.typeName(type)
                + "; tfmon feeds CSV numbers to float32, float64, int32 and int64 tensors");
    }
  }

  /**
   * An integer tensor takes whole numbers only: a cast would silently turn 0.7 into 0. Fails on the
   * first other value, naming its line and column.
   */
  private static void requireIntegers(
      DataType type, String what, CsvTable table, int start, int end, int[] cols, double min, double max) {
    for (int i = start; i < end; i++) {
      double[] row = table.rows().get(i);
      for (int c : cols) {
        double v = row[c];
        if (v != Math.rint(v) || v < min || v >= max) {
          throw CliException.failure(
              table.file() + " line " + table.lines()[i] + ", column " + (c + 1) + " '" + table.header().get(c)
                  + "': " + what + " is " + CheckpointReader.typeName(type) + " and takes whole numbers, but got " + v);
        }
      }
    }
  }

  private interface Cell {
    void set(long row, long col, double value);
  }

  private static void fill(List<double[]> rows, int[] cols, Cell cell) {
    for (int i = 0; i < rows.size(); i++) {
      for (int j = 0; j < cols.length; j++) {
        cell.set(i, j, rows.get(i)[cols[j]]);
      }
    }
  }
}

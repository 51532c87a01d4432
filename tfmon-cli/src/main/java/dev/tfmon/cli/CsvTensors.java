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
 * try (Tensor x = CsvTensors.of(DataType.DT_FLOAT, Shape.of(-1, 4), "input 'x'", table.rows(), new int[] {0, 1, 2, 3})) { ... }
 * }</pre>
 */
final class CsvTensors {
  private CsvTensors() {}

  /**
   * @param what names the receiver in the error for an unsupported dtype
   * @throws CliException usage error for a dtype other than float32, float64, int32 and int64
   */
  static Tensor of(DataType type, Shape declared, String what, List<double[]> rows, int[] cols) {
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
        TInt32 t = TInt32.tensorOf(s);
        fill(rows, cols, (i, j, v) -> { if (matrix) t.setInt((int) v, i, j); else t.setInt((int) v, i); });
        return t;
      }
      case DT_INT64: {
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

package dev.tfmon.checkpoint;

import java.util.List;
import java.util.Objects;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * One tensor stored in a checkpoint, as its index describes it. A partitioned (sliced) variable is
 * one tensor with its full shape and the list of its stored slices; its bytes live in the slices,
 * so its {@code shardId} and {@code offset} are -1 and {@code size} is the slices' total.
 *
 * <pre>{@code
 * VariableInfo w = reader.variables().get("w");   // DT_FLOAT [6, 1], slices [0,2:0,1, 2,2:0,1, 4,2:0,1]
 * }</pre>
 *
 * @param name the tensor's key (the variable's op name, or a partitioned variable's full name)
 * @param dataType its dtype
 * @param shape its (full) shape
 * @param shardId the data file holding it, or -1 for a sliced tensor
 * @param offset its first byte in that file, or -1 for a sliced tensor
 * @param size its length in bytes (for a sliced tensor, of all its slices)
 * @param maskedCrc32c the masked CRC32C of its bytes, as stored (0 for a sliced tensor)
 * @param slices its stored slices, in index order, or empty when it is stored whole
 */
public record VariableInfo(
    String name,
    DataType dataType,
    Shape shape,
    int shardId,
    long offset,
    long size,
    int maskedCrc32c,
    List<TensorSlice> slices) {

  public VariableInfo {
    Objects.requireNonNull(name, "name");
    slices = List.copyOf(slices);
  }

  /** A tensor stored whole. */
  public VariableInfo(
      String name, DataType dataType, Shape shape, int shardId, long offset, long size, int maskedCrc32c) {
    this(name, dataType, shape, shardId, offset, size, maskedCrc32c, List.of());
  }

  /** True for a partitioned tensor stored as slices. */
  public boolean sliced() {
    return !slices.isEmpty();
  }

  /** {@code "float32 [4, 1]"}: how error messages show a dtype and shape. */
  public String describe() {
    return CheckpointReader.typeName(dataType) + " " + CheckpointReader.shapeText(shape);
  }
}

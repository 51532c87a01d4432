package dev.tfmon.checkpoint;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * One tensor stored in a checkpoint, as its index describes it.
 *
 * <pre>{@code
 * VariableInfo w = reader.variables().get("w");   // DT_FLOAT [4, 1]
 * }</pre>
 *
 * @param name the tensor's key (the variable's op name)
 * @param dataType its dtype
 * @param shape its shape
 * @param shardId the data file holding it
 * @param offset its first byte in that file
 * @param size its length in bytes
 * @param maskedCrc32c the masked CRC32C of its bytes, as stored
 */
public record VariableInfo(
    String name, DataType dataType, Shape shape, int shardId, long offset, long size, int maskedCrc32c) {

  /** {@code "float32 [4, 1]"}: how error messages show a dtype and shape. */
  public String describe() {
    return CheckpointReader.typeName(dataType) + " " + CheckpointReader.shapeText(shape);
  }
}

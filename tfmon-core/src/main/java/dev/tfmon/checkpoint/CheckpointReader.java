package dev.tfmon.checkpoint;

import dev.tfmon.errors.DataLossException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.errors.UnimplementedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;
import org.tensorflow.Tensor;
import org.tensorflow.internal.types.registry.TensorTypeRegistry;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TString;

/**
 * Reads a V2 checkpoint ({@code prefix.index} plus its data files) without building a model graph:
 * lists its tensors and reads their values, checking each tensor's stored CRC32C.
 *
 * <pre>{@code
 * try (CheckpointReader reader = CheckpointReader.open("/train/model.ckpt-30");
 *     TFloat32 w = (TFloat32) reader.read("w")) {
 *   float w0 = w.getFloat(0, 0);
 * }
 * }</pre>
 *
 * <p>Opening parses the whole index (checking every block checksum); data files are opened on
 * demand. Sliced (partitioned) tensors are listed but cannot be read.
 */
public final class CheckpointReader implements AutoCloseable {
  private final String prefix;
  private final BundleIndex index;
  private final Map<String, VariableInfo> variables;

  private CheckpointReader(String prefix, BundleIndex index) {
    this.prefix = prefix;
    this.index = index;
    Map<String, VariableInfo> vars = new LinkedHashMap<>();
    index.entries.forEach(
        (name, e) ->
            vars.put(
                name,
                new VariableInfo(
                    name,
                    e.getDtype(),
                    shapeOf(e.getShape()),
                    e.getShardId(),
                    e.getOffset(),
                    e.getSize(),
                    e.getCrc32C())));
    this.variables = Collections.unmodifiableMap(vars);
  }

  /**
   * Opens the checkpoint {@code prefix} (e.g. {@code /train/model.ckpt-30}).
   *
   * @throws NotFoundException if {@code prefix.index} does not exist
   * @throws DataLossException naming the file, if the index is damaged
   */
  public static CheckpointReader open(String prefix) {
    if (prefix == null || prefix.isEmpty()) {
      throw new IllegalArgumentException("expected a checkpoint prefix, but got '" + prefix + "'");
    }
    return new CheckpointReader(prefix, BundleIndex.read(prefix));
  }

  /** The checkpoint prefix this reader reads. */
  public String prefix() {
    return prefix;
  }

  /** The number of data files. */
  public int numShards() {
    return index.header.getNumShards();
  }

  /** Every stored tensor by name, in sorted name order. */
  public Map<String, VariableInfo> variables() {
    return variables;
  }

  /** True if the checkpoint stores a tensor named {@code name}. */
  public boolean has(String name) {
    return variables.containsKey(name);
  }

  /**
   * Reads tensor {@code name}; the caller owns (and closes) the returned tensor.
   *
   * @throws NotFoundException if the checkpoint has no such tensor, or its data file is missing
   * @throws OutOfRangeException if the data file is shorter than the index says
   * @throws DataLossException naming the variable and file, if the bytes fail their CRC32C
   */
  public Tensor read(String name) {
    VariableInfo info = info(name);
    BundleEntryProto entry = index.entries.get(name);
    if (entry.getSlicesCount() > 0) {
      throw new UnimplementedException(
          "tensor '" + name + "' in " + prefix + " is stored in slices, which tfmon cannot read");
    }
    byte[] bytes = readAndCheck(info);
    if (info.dataType() == DataType.DT_STRING) {
      return strings(info, bytes);
    }
    var type = TensorTypeRegistry.find(info.dataType());
    return Tensor.of(type.type(), info.shape(), DataBuffers.of(bytes, true, false));
  }

  /**
   * Checks the whole checkpoint: every data file exists and is as long as the index implies, and
   * every tensor's bytes match their CRC32C.
   *
   * @throws NotFoundException if a data file is missing
   * @throws OutOfRangeException if a data file is too short
   * @throws DataLossException if a checksum fails
   */
  public void verify() {
    verifyLengths();
    for (VariableInfo info : variables.values()) {
      if (index.entries.get(info.name()).getSlicesCount() == 0) {
        readAndCheck(info);
      }
    }
  }

  /** The cheap part of {@link #verify()}: data files exist and are long enough. */
  public void verifyLengths() {
    long[] needed = new long[numShards()];
    for (VariableInfo v : variables.values()) {
      needed[v.shardId()] = Math.max(needed[v.shardId()], v.offset() + v.size());
    }
    for (int shard = 0; shard < needed.length; shard++) {
      Path file = BundleIndex.dataFile(prefix, shard, numShards());
      long length;
      try {
        length = Files.size(file);
      } catch (NoSuchFileException e) {
        throw new NotFoundException("data file " + file + " of checkpoint " + prefix + " is missing", e);
      } catch (IOException e) {
        throw new DataLossException("cannot read data file " + file + ": " + e, e);
      }
      if (length < needed[shard]) {
        throw new OutOfRangeException(
            "data file "
                + file
                + " has "
                + length
                + " bytes, but its index needs "
                + needed[shard]
                + ": the file is truncated");
      }
    }
  }

  @Override
  public void close() {
    // Data files are opened per read, so there is nothing to release; kept AutoCloseable so a
    // later version may cache file handles without breaking callers.
  }

  private VariableInfo info(String name) {
    VariableInfo info = variables.get(name);
    if (info == null) {
      throw new NotFoundException(
          "checkpoint " + prefix + " has no tensor '" + name + "'; it has " + variables.keySet());
    }
    return info;
  }

  private byte[] readAndCheck(VariableInfo info) {
    Path file = BundleIndex.dataFile(prefix, info.shardId(), numShards());
    if (info.size() > Integer.MAX_VALUE - 16) {
      throw new UnimplementedException(
          "tensor '" + info.name() + "' has " + info.size() + " bytes, more than one Java array holds");
    }
    byte[] bytes = new byte[(int) info.size()];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      long pos = info.offset();
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new OutOfRangeException(
              "reading '"
                  + info.name()
                  + "' from "
                  + file
                  + ": read less bytes than requested (the file ends at "
                  + pos
                  + ", the tensor at "
                  + (info.offset() + info.size())
                  + ")");
        }
        pos += n;
      }
    } catch (NoSuchFileException e) {
      throw new NotFoundException("data file " + file + " of checkpoint " + prefix + " is missing", e);
    } catch (IOException e) {
      throw new DataLossException("cannot read " + file + ": " + e, e);
    }
    int computed = info.dataType() == DataType.DT_STRING ? stringCrc(info, bytes) : crc(bytes);
    if (computed != info.maskedCrc32c()) {
      throw new DataLossException(
          String.format(
              "checksum mismatch for variable '%s' in %s (%d bytes at offset %d): stored 0x%08x,"
                  + " computed 0x%08x",
              info.name(), file, info.size(), info.offset(), info.maskedCrc32c(), computed));
    }
    return bytes;
  }

  private static int crc(byte[] bytes) {
    return BundleIndex.mask(BundleIndex.crc32c(bytes, 0, bytes.length));
  }

  /**
   * A string tensor is stored as varint64 element lengths, a masked CRC32C of those lengths, then
   * the elements; its index CRC covers the lengths as uint32s, the 4 checksum bytes and the
   * elements.
   */
  private static int stringCrc(VariableInfo info, byte[] bytes) {
    long n = info.shape().size();
    long[] lengths = new long[(int) n];
    int pos = parseLengths(info, bytes, lengths);
    CRC32C crc = new CRC32C();
    ByteBuffer four = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    for (long len : lengths) {
      four.clear();
      four.putInt((int) len);
      crc.update(four.array(), 0, 4);
    }
    crc.update(bytes, pos, bytes.length - pos);
    return BundleIndex.mask((int) crc.getValue());
  }

  private static int parseLengths(VariableInfo info, byte[] bytes, long[] lengths) {
    int pos = 0;
    for (int i = 0; i < lengths.length; i++) {
      long v = 0;
      int shift = 0;
      while (true) {
        if (pos >= bytes.length || shift > 63) {
          throw new DataLossException(
              "string tensor '" + info.name() + "' has malformed element lengths");
        }
        int b = bytes[pos++] & 0xff;
        v |= (long) (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      lengths[i] = v;
    }
    if (pos + 4 > bytes.length) {
      throw new DataLossException("string tensor '" + info.name() + "' is truncated");
    }
    return pos;
  }

  private static TString strings(VariableInfo info, byte[] bytes) {
    long[] lengths = new long[(int) info.shape().size()];
    int pos = parseLengths(info, bytes, lengths) + 4;
    NdArray<byte[]> values = NdArrays.ofObjects(byte[].class, info.shape());
    long[] flat = new long[1];
    for (int i = 0; i < lengths.length; i++) {
      int len = (int) lengths[i];
      if (pos + len > bytes.length) {
        throw new DataLossException("string tensor '" + info.name() + "' is truncated");
      }
      byte[] element = java.util.Arrays.copyOfRange(bytes, pos, pos + len);
      pos += len;
      if (info.shape().numDimensions() == 0) {
        values.setObject(element);
      } else {
        values.setObject(element, coordinates(info.shape(), i, flat));
      }
    }
    return TString.tensorOfBytes(values);
  }

  private static long[] coordinates(Shape shape, long flatIndex, long[] unused) {
    long[] c = new long[shape.numDimensions()];
    for (int d = c.length - 1; d >= 0; d--) {
      c[d] = flatIndex % shape.get(d);
      flatIndex /= shape.get(d);
    }
    return c;
  }

  /** A {@code TensorShapeProto} as a shape ({@link Shape#unknown()} for an unknown rank). */
  public static Shape shapeOf(TensorShapeProto proto) {
    if (proto.getUnknownRank()) {
      return Shape.unknown();
    }
    long[] dims = new long[proto.getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = proto.getDim(i).getSize();
    }
    return Shape.of(dims);
  }

  /** {@code float32}, {@code int64}, ...: Python's dtype names. */
  public static String typeName(DataType type) {
    return switch (type) {
      case DT_FLOAT -> "float32";
      case DT_DOUBLE -> "float64";
      case DT_HALF -> "float16";
      case DT_BOOL -> "bool";
      default -> type.name().substring(3).toLowerCase(Locale.ROOT);
    };
  }

  /** {@code "[?, 4]"}: a shape as tfmon prints it, unknown dimensions as {@code ?}. */
  public static String shapeText(Shape shape) {
    if (shape.isUnknown()) {
      return "<unknown>";
    }
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < shape.numDimensions(); i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(shape.get(i) < 0 ? "?" : String.valueOf(shape.get(i)));
    }
    return b.append(']').toString();
  }
}

package dev.tfmon.checkpoint;

import dev.tfmon.errors.DataLossException;
import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.errors.UnimplementedException;
import dev.tfmon.runtime.HostTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
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
 * demand. A partitioned variable (Python's {@code fixed_size_partitioner}, saved as slices of one
 * full tensor) is listed once with its full shape and its {@link VariableInfo#slices()}; {@link
 * #read} assembles it whole and {@link #readSlice} reads any box of it.
 */
public final class CheckpointReader implements AutoCloseable {
  private final String prefix;
  private final BundleIndex index;
  private final Map<String, VariableInfo> variables;

  private CheckpointReader(String prefix, BundleIndex index) {
    this.prefix = prefix;
    this.index = index;
    Map<String, VariableInfo> vars = new LinkedHashMap<>();
    index.entries.forEach((name, e) -> vars.put(name, describe(name, e)));
    this.variables = Collections.unmodifiableMap(vars);
  }

  private VariableInfo describe(String name, BundleEntryProto e) {
    if (e.getSlicesCount() == 0) {
      return new VariableInfo(
          name, e.getDtype(), shapeOf(e.getShape()), e.getShardId(), e.getOffset(), e.getSize(), e.getCrc32C());
    }
    List<TensorSlice> slices = new ArrayList<>();
    for (var proto : e.getSlicesList()) {
      try {
        slices.add(TensorSlice.fromProto(proto));
      } catch (IllegalArgumentException bad) {
        throw new DataLossException(
            "checkpoint index " + index.file + " is corrupt: tensor '" + name + "' lists a bad slice: " + bad.getMessage(),
            bad);
      }
    }
    long size = 0;
    for (BundleIndex.StoredSlice stored : index.slices.getOrDefault(name, List.of())) {
      size += stored.entry().getSize();
    }
    return new VariableInfo(name, e.getDtype(), shapeOf(e.getShape()), -1, -1, size, 0, slices);
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

  /** Every stored tensor by name, in sorted name order; a sliced tensor appears once, whole. */
  public Map<String, VariableInfo> variables() {
    return variables;
  }

  /** True if the checkpoint stores a tensor named {@code name}. */
  public boolean has(String name) {
    return variables.containsKey(name);
  }

  /**
   * Reads tensor {@code name}, assembling a sliced tensor from its slices; the caller owns (and
   * closes) the returned tensor.
   *
   * @throws NotFoundException if the checkpoint has no such tensor, or its data file is missing
   * @throws OutOfRangeException if the data file is shorter than the index says
   * @throws DataLossException naming the variable and file, if the bytes fail their CRC32C, or a
   *     sliced tensor's slices overlap or are missing
   * @throws InvalidArgumentException if the stored slices do not cover the whole tensor
   */
  public Tensor read(String name) {
    VariableInfo info = info(name);
    if (!info.sliced()) {
      byte[] bytes = readAndCheck(info);
      if (info.dataType() == DataType.DT_STRING) {
        return strings(info.shape(), stringElements(info, bytes));
      }
      return HostTensors.fromBytes(info.dataType(), info.shape(), bytes);
    }
    return readSlice(name, TensorSlice.full(info.shape().numDimensions()));
  }

  /**
   * Reads the box {@code slice} of tensor {@code name} (e.g. one stored slice of a partitioned
   * variable, or any part of a tensor stored whole), copying from every stored slice it overlaps.
   *
   * @throws IllegalArgumentException naming both, if the slice does not fit the tensor's shape
   * @throws InvalidArgumentException if the stored slices do not cover {@code slice}
   * @throws DataLossException as {@link #read}
   */
  public Tensor readSlice(String name, TensorSlice slice) {
    VariableInfo info = info(name);
    Shape full = info.shape();
    if (!slice.fitsIn(full)) {
      throw new IllegalArgumentException(
          "slice " + slice + " does not fit tensor '" + name + "' of shape " + shapeText(full));
    }
    List<Chunk> chunks = chunks(info);
    Shape outShape = slice.shapeIn(full);
    boolean strings = info.dataType() == DataType.DT_STRING;
    int elementSize = strings ? 0 : HostTensors.elementSize(info.dataType());
    long count = outShape.size();
    if (count * Math.max(elementSize, 1) > Integer.MAX_VALUE - 16) {
      throw new UnimplementedException(
          "slice " + slice + " of '" + name + "' has " + count + " elements, more than one Java array holds");
    }
    byte[] out = new byte[(int) count * elementSize];
    byte[][] outStrings = strings ? new byte[(int) count][] : null;
    long covered = 0;
    for (Chunk chunk : chunks) {
      if (chunk.slice().overlap(slice, full) == 0) {
        continue;
      }
      byte[] bytes = readAndCheck(chunk.info());
      Object source = strings ? stringElements(chunk.info(), bytes) : bytes;
      covered += SliceCopy.copy(full, chunk.slice(), source, slice, strings ? outStrings : out, elementSize);
    }
    if (covered != count) {
      throw new InvalidArgumentException(
          "the stored slices of '" + name + "' in " + prefix + " (" + info.slices() + ") cover " + covered + " of the "
              + count + " elements of slice " + slice);
    }
    return strings ? strings(outShape, outStrings) : HostTensors.fromBytes(info.dataType(), outShape, out);
  }

  /**
   * True if tensor {@code name} is stored and its stored slices (or the whole tensor) contain every
   * element of {@code slice}. Reads only the index.
   */
  public boolean covers(String name, TensorSlice slice) {
    VariableInfo info = variables.get(name);
    if (info == null || !slice.fitsIn(info.shape())) {
      return false;
    }
    if (!info.sliced()) {
      return true;
    }
    long covered = 0;
    for (TensorSlice stored : info.slices()) {
      covered += stored.overlap(slice, info.shape());
    }
    // stored slices never overlap in a bundle TensorFlow wrote (read() checks), so the sum is exact
    return covered == slice.shapeIn(info.shape()).size();
  }

  /** A tensor's stored pieces: itself when whole, its checked slices when sliced. */
  private List<Chunk> chunks(VariableInfo info) {
    if (!info.sliced()) {
      return List.of(new Chunk(TensorSlice.full(info.shape().numDimensions()), info));
    }
    Map<TensorSlice, BundleIndex.StoredSlice> stored = new LinkedHashMap<>();
    for (BundleIndex.StoredSlice s : index.slices.getOrDefault(info.name(), List.of())) {
      stored.put(s.slice(), s);
    }
    List<Chunk> out = new ArrayList<>();
    for (TensorSlice listed : info.slices()) {
      BundleIndex.StoredSlice s = stored.get(listed);
      if (s == null) {
        throw new DataLossException(
            "slice " + listed + " of '" + info.name() + "' is listed in " + index.file + " but not stored there");
      }
      BundleEntryProto e = s.entry();
      Shape shape = shapeOf(e.getShape());
      if (!listed.fitsIn(info.shape()) || !shape.equals(listed.shapeIn(info.shape())) || e.getDtype() != info.dataType()) {
        throw new DataLossException(
            "slice " + listed + " of '" + info.name() + "' " + shapeText(info.shape()) + " in " + index.file
                + " is stored as " + typeName(e.getDtype()) + " " + shapeText(shape) + ", which does not fit");
      }
      for (Chunk earlier : out) {
        if (earlier.slice().overlap(listed, info.shape()) > 0) {
          throw new DataLossException(
              "slices " + earlier.slice() + " and " + listed + " of '" + info.name() + "' in " + index.file + " overlap");
        }
      }
      String label = info.name() + "[" + listed + "]";
      out.add(new Chunk(listed, new VariableInfo(
          label, e.getDtype(), shape, e.getShardId(), e.getOffset(), e.getSize(), e.getCrc32C())));
    }
    return out;
  }

  private record Chunk(TensorSlice slice, VariableInfo info) {}

  /**
   * Checks the whole checkpoint: every data file exists and is as long as the index implies, every
   * tensor's (and every slice's) bytes match their CRC32C, and the slices of each partitioned
   * tensor fit together without overlapping.
   *
   * @throws NotFoundException if a data file is missing
   * @throws OutOfRangeException if a data file is too short
   * @throws DataLossException if a checksum fails or slices do not fit
   */
  public void verify() {
    verifyLengths();
    for (VariableInfo info : variables.values()) {
      for (Chunk chunk : chunks(info)) {
        readAndCheck(chunk.info());
      }
    }
  }

  /** The cheap part of {@link #verify()}: data files exist and are long enough. */
  public void verifyLengths() {
    long[] needed = new long[numShards()];
    for (VariableInfo v : variables.values()) {
      for (Chunk chunk : chunks(v)) {
        VariableInfo c = chunk.info();
        needed[c.shardId()] = Math.max(needed[c.shardId()], c.offset() + c.size());
      }
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

  /** The elements of a stored string tensor, row-major. */
  private static byte[][] stringElements(VariableInfo info, byte[] bytes) {
    long[] lengths = new long[(int) info.shape().size()];
    int pos = parseLengths(info, bytes, lengths) + 4;
    byte[][] out = new byte[lengths.length][];
    for (int i = 0; i < lengths.length; i++) {
      if (lengths[i] > bytes.length - pos) {
        throw new DataLossException("string tensor '" + info.name() + "' is truncated");
      }
      out[i] = Arrays.copyOfRange(bytes, pos, pos + (int) lengths[i]);
      pos += (int) lengths[i];
    }
    return out;
  }

  private static TString strings(Shape shape, byte[][] elements) {
    NdArray<byte[]> values = NdArrays.ofObjects(byte[].class, shape);
    if (shape.numDimensions() == 0) {
      values.setObject(elements[0]);
    } else {
      long[] coordinates = new long[shape.numDimensions()];
      for (int i = 0; i < elements.length; i++) {
        long flat = i;
        for (int d = coordinates.length - 1; d >= 0; d--) {
          coordinates[d] = flat % shape.get(d);
          flat /= shape.get(d);
        }
        values.setObject(elements[i], coordinates);
      }
    }
    return TString.tensorOfBytes(values);
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

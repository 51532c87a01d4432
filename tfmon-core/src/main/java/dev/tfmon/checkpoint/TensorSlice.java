package dev.tfmon.checkpoint;

import java.util.Arrays;
import java.util.Objects;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.TensorSliceProto;

/**
 * A box inside a tensor: per dimension a start and a length, or "all of it". TensorFlow saves a
 * partitioned variable (Python's {@code fixed_size_partitioner}) as slices of one full tensor, and
 * its SaveV2/RestoreV2 ops name them with specs such as {@code "0,2:-"} (rows 0 and 1, every column).
 *
 * <pre>{@code
 * TensorSlice rows = TensorSlice.parse("2,2:-");
 * rows.shapeIn(Shape.of(6, 3));   // [2, 3]
 * }</pre>
 */
public final class TensorSlice {
  /** The length that stands for a whole dimension. */
  public static final long FULL = -1;

  private final long[] starts;
  private final long[] lengths;

  private TensorSlice(long[] starts, long[] lengths) {
    this.starts = starts;
    this.lengths = lengths;
  }

  /**
   * A slice from starts and lengths ({@link #FULL} for a whole dimension, whose start must be 0).
   *
   * @throws IllegalArgumentException naming the values, if the arrays differ in length, a start is
   *     negative or a length is neither positive nor {@code FULL}
   */
  public static TensorSlice of(long[] starts, long[] lengths) {
    if (starts.length != lengths.length) {
      throw new IllegalArgumentException(
          "expected one length per start, but got " + Arrays.toString(starts) + " and " + Arrays.toString(lengths));
    }
    for (int d = 0; d < starts.length; d++) {
      boolean full = lengths[d] == FULL && starts[d] == 0;
      if (!full && (starts[d] < 0 || lengths[d] <= 0)) {
        throw new IllegalArgumentException(
            "dimension " + d + " of a slice needs a start >= 0 and a length > 0 (or '-' for all of it), but got start "
                + starts[d] + " and length " + lengths[d]);
      }
    }
    return new TensorSlice(starts.clone(), lengths.clone());
  }

  /** The whole of a tensor of rank {@code rank}. */
  public static TensorSlice full(int rank) {
    long[] lengths = new long[rank];
    Arrays.fill(lengths, FULL);
    return new TensorSlice(new long[rank], lengths);
  }

  /**
   * Parses TensorFlow's slice spec: {@code start,length} or {@code -} per dimension, joined by
   * {@code :} (e.g. {@code "0,2:-"}).
   *
   * @throws IllegalArgumentException naming the spec, if it does not parse
   */
  public static TensorSlice parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    String[] dims = spec.split(":", -1);
    long[] starts = new long[dims.length];
    long[] lengths = new long[dims.length];
    for (int d = 0; d < dims.length; d++) {
      if (dims[d].equals("-")) {
        lengths[d] = FULL;
        continue;
      }
      String[] pair = dims[d].split(",", -1);
      try {
        if (pair.length != 2) {
          throw new NumberFormatException();
        }
        starts[d] = Long.parseLong(pair[0]);
        lengths[d] = Long.parseLong(pair[1]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "expected a slice spec such as '0,2:-' (start,length or '-' per dimension), but got '" + spec + "'");
      }
    }
    try {
      return of(starts, lengths);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("slice spec '" + spec + "': " + e.getMessage(), e);
    }
  }

  /** The slice a {@code TensorSliceProto} describes (an extent without a length is a whole dimension). */
  public static TensorSlice fromProto(TensorSliceProto proto) {
    int rank = proto.getExtentCount();
    long[] starts = new long[rank];
    long[] lengths = new long[rank];
    for (int d = 0; d < rank; d++) {
      TensorSliceProto.Extent e = proto.getExtent(d);
      starts[d] = e.getStart();
      lengths[d] = e.getHasLengthCase() == TensorSliceProto.Extent.HasLengthCase.LENGTH ? e.getLength() : FULL;
    }
    return of(starts, lengths);
  }

  /** The number of dimensions. */
  public int rank() {
    return starts.length;
  }

  /** The first index of dimension {@code d}. */
  public long start(int d) {
    return starts[d];
  }

  /** The length of dimension {@code d}, or {@link #FULL}. */
  public long length(int d) {
    return lengths[d];
  }

  /** The length of dimension {@code d} in a tensor of shape {@code full}. */
  long lengthIn(Shape full, int d) {
    return lengths[d] == FULL ? full.get(d) : lengths[d];
  }

  /** True if the slice covers the whole of a tensor of shape {@code full}. */
  public boolean coversAllOf(Shape full) {
    for (int d = 0; d < rank(); d++) {
      if (starts[d] != 0 || lengthIn(full, d) != full.get(d)) {
        return false;
      }
    }
    return true;
  }

  /** The shape of this slice of a tensor of shape {@code full}. */
  public Shape shapeIn(Shape full) {
    long[] dims = new long[rank()];
    for (int d = 0; d < dims.length; d++) {
      dims[d] = lengthIn(full, d);
    }
    return Shape.of(dims);
  }

  /** True if the slice has {@code full}'s rank and lies inside it. */
  public boolean fitsIn(Shape full) {
    if (full.isUnknown() || full.numDimensions() != rank()) {
      return false;
    }
    for (int d = 0; d < rank(); d++) {
      if (full.get(d) < 0 || starts[d] + lengthIn(full, d) > full.get(d)) {
        return false;
      }
    }
    return true;
  }

  /** Number of elements this slice and {@code other} share in a tensor of shape {@code full}. */
  long overlap(TensorSlice other, Shape full) {
    long n = 1;
    for (int d = 0; d < rank(); d++) {
      long lo = Math.max(starts[d], other.starts[d]);
      long hi = Math.min(starts[d] + lengthIn(full, d), other.starts[d] + other.lengthIn(full, d));
      if (hi <= lo) {
        return 0;
      }
      n *= hi - lo;
    }
    return n;
  }

  /** TensorFlow's spec text, e.g. {@code "0,2:-"}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (int d = 0; d < rank(); d++) {
      if (d > 0) {
        b.append(':');
      }
      b.append(lengths[d] == FULL ? "-" : starts[d] + "," + lengths[d]);
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSlice s && Arrays.equals(starts, s.starts) && Arrays.equals(lengths, s.lengths);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(starts) + Arrays.hashCode(lengths);
  }
}

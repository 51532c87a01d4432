package dev.tfmon.checkpoint;

import org.tensorflow.ndarray.Shape;

/**
 * Copies the elements two boxes of one tensor share from one row-major buffer to another: how a
 * partitioned variable is assembled from its stored slices. Buffers are {@code byte[]} of fixed-size
 * elements, or {@code byte[][]} with one array per string element.
 */
final class SliceCopy {
  private SliceCopy() {}

  /**
   * Copies the intersection of {@code from} and {@code to} (both boxes of a tensor of shape {@code
   * full}) from {@code source} (laid out as {@code from}) into {@code target} (laid out as {@code
   * to}).
   *
   * @param elementSize bytes per element, or 0 when the buffers are {@code byte[][]}
   * @return the number of elements copied
   */
  static long copy(Shape full, TensorSlice from, Object source, TensorSlice to, Object target, int elementSize) {
    int rank = full.numDimensions();
    long[] lo = new long[rank];
    long[] hi = new long[rank];
    long total = 1;
    for (int d = 0; d < rank; d++) {
      lo[d] = Math.max(from.start(d), to.start(d));
      hi[d] = Math.min(from.start(d) + from.lengthIn(full, d), to.start(d) + to.lengthIn(full, d));
      if (hi[d] <= lo[d]) {
        return 0;
      }
      total *= hi[d] - lo[d];
    }
    if (rank == 0) {
      move(source, 0, target, 0, 1, elementSize);
      return 1;
    }
    long[] fromStrides = strides(from.shapeIn(full));
    long[] toStrides = strides(to.shapeIn(full));
    int last = rank - 1;
    long run = hi[last] - lo[last];
    long[] index = lo.clone();
    while (true) {
      long src = 0;
      long dst = 0;
      for (int d = 0; d < rank; d++) {
        src += (index[d] - from.start(d)) * fromStrides[d];
        dst += (index[d] - to.start(d)) * toStrides[d];
      }
      move(source, src, target, dst, run, elementSize);
      // advance the index over every dimension but the last, like an odometer
      int d = last - 1;
      while (d >= 0 && ++index[d] == hi[d]) {
        index[d] = lo[d];
        d--;
      }
      if (d < 0) {
        return total;
      }
    }
  }

  private static void move(Object source, long from, Object target, long to, long count, int elementSize) {
    if (elementSize == 0) {
      System.arraycopy(source, (int) from, target, (int) to, (int) count);
    } else {
      System.arraycopy(source, (int) (from * elementSize), target, (int) (to * elementSize), (int) (count * elementSize));
    }
  }

  private static long[] strides(Shape shape) {
    long[] strides = new long[shape.numDimensions()];
    long s = 1;
    for (int d = strides.length - 1; d >= 0; d--) {
      strides[d] = s;
      s *= shape.get(d);
    }
    return strides;
  }
}

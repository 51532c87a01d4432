package dev.tfmon.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The {@code .index} key under which a bundle stores one slice of a partitioned tensor. TensorFlow
 * builds it with its order-preserving "OrderedCode": the unsigned number 0 (so every slice key sorts
 * before the plain names), the full tensor's name as an escaped string, the rank, then a signed start
 * and length per dimension (a whole dimension is start 0, length -1).
 *
 * @param name the full tensor's name
 * @param slice the slice stored under this key
 */
record SliceKey(String name, TensorSlice slice) {

  /** True if {@code key} is a slice key rather than a tensor name (names never start with byte 0). */
  static boolean isSliceKey(byte[] key) {
    return key.length > 0 && key[0] == 0;
  }

  /**
   * Decodes a slice key.
   *
   * @throws IllegalArgumentException saying what is malformed
   */
  static SliceKey decode(byte[] key) {
    Cursor c = new Cursor(key);
    if (c.unsigned() != 0) {
      throw new IllegalArgumentException("a slice key starts with the number 0");
    }
    String name = c.string();
    long rank = c.unsigned();
    if (rank <= 0 || rank > 64) {
      throw new IllegalArgumentException("slice key of '" + name + "' has rank " + rank);
    }
    long[] starts = new long[(int) rank];
    long[] lengths = new long[(int) rank];
    for (int d = 0; d < rank; d++) {
      starts[d] = c.signed();
      lengths[d] = c.signed();
    }
    if (c.pos != key.length) {
      throw new IllegalArgumentException("slice key of '" + name + "' has " + (key.length - c.pos) + " extra bytes");
    }
    return new SliceKey(name, TensorSlice.of(starts, lengths));
  }

  /** Reads OrderedCode items from the front of a key. */
  private static final class Cursor {
    private final byte[] bytes;
    private int pos;

    Cursor(byte[] bytes) {
      this.bytes = bytes;
    }

    private int next() {
      if (pos >= bytes.length) {
        throw new IllegalArgumentException("slice key ends too early");
      }
      return bytes[pos++] & 0xff;
    }

    /** A length byte (0..8), then that many big-endian bytes. */
    long unsigned() {
      int n = next();
      if (n > 8) {
        throw new IllegalArgumentException("a number in a slice key claims " + n + " bytes");
      }
      long v = 0;
      for (int i = 0; i < n; i++) {
        v = (v << 8) | next();
      }
      return v;
    }

    /** Bytes up to the terminator 00 01, where 00 FF stands for 00 and FF 00 for FF. */
    String string() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        int b = next();
        if (b == 0x00) {
          int escaped = next();
          if (escaped == 0x01) {
            return out.toString(StandardCharsets.UTF_8);
          }
          if (escaped != 0xff) {
            throw new IllegalArgumentException("bad escape 00 " + Integer.toHexString(escaped) + " in a slice key");
          }
          out.write(0x00);
        } else if (b == 0xff) {
          if (next() != 0x00) {
            throw new IllegalArgumentException("bad escape after FF in a slice key");
          }
          out.write(0xff);
        } else {
          out.write(b);
        }
      }
    }

    /**
     * A signed number: the first bit is the sign (1 for >= 0), then as many further copies of it as
     * the encoding has extra bytes, a bit of the opposite value, and the two's-complement value.
     */
    long signed() {
      int first = next();
      int flip = (first & 0x80) == 0 ? 0xff : 0x00;
      int header = (first ^ flip) & 0xff;
      int length = header == 0xff ? 8 : Integer.numberOfLeadingZeros((~header & 0xff) << 24);
      if (length == 8) {
        if (pos >= bytes.length) {
          throw new IllegalArgumentException("slice key ends inside a number");
        }
        int second = (bytes[pos] & 0xff) ^ flip;
        if (second >= 0xc0) {
          int third = pos + 1 < bytes.length ? (bytes[pos + 1] & 0xff) ^ flip : 0xff;
          if (second != 0xc0 || third >= 0x80) {
            throw new IllegalArgumentException("a signed number in a slice key is longer than 10 bytes");
          }
          length = 10;
        } else if (second >= 0x80) {
          length = 9;
        }
      }
      int begin = pos - 1;
      if (begin + length > bytes.length) {
        throw new IllegalArgumentException("slice key ends inside a number");
      }
      pos = begin + length;
      long value = flip == 0 ? 0 : -1;
      for (int i = Math.max(begin, pos - 8); i < pos; i++) {
        value = (value << 8) | (bytes[i] & 0xff);
      }
      return value ^ headerMask(length);
    }

    /** The header bits inside the value's last 8 bytes, which the sign extension must undo. */
    private static long headerMask(int length) {
      if (length <= 8) {
        return ((1L << length) - 1) << (7 * length);
      }
      return length == 9 ? Long.MIN_VALUE : 0;
    }
  }
}

package dev.tfmon.summary;

import java.util.zip.CRC32C;

/**
 * TensorFlow's TFRecord framing, the container of event files: every record is {@code uint64
 * length} (little-endian), {@code uint32 masked CRC-32C} of those 8 bytes, the data, and {@code
 * uint32 masked CRC-32C} of the data. No file header, no padding.
 *
 * <pre>{@code
 * byte[] framed = TfRecords.frame(event.toByteArray());   // what EventFileWriter appends
 * int crc = TfRecords.maskedCrc32c(data, 0, data.length);
 * }</pre>
 */
public final class TfRecords {
  /** Bytes before the data: the length and its CRC. */
  public static final int HEADER_BYTES = 12;
  /** Bytes after the data: its CRC. */
  public static final int FOOTER_BYTES = 4;

  private static final int MASK_DELTA = 0xa282ead8;

  private TfRecords() {}

  /** CRC-32C (Castagnoli) of {@code data[offset, offset+length)}, unmasked. */
  public static int crc32c(byte[] data, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, offset, length);
    return (int) crc.getValue();
  }

  /**
   * TensorFlow masks stored CRCs (rotate right by 15, add a constant) because computing the CRC of
   * data that itself embeds CRCs is error-prone; the mask keeps a CRC of a CRC from looking valid.
   */
  public static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  /** The inverse of {@link #mask}. */
  public static int unmask(int masked) {
    int rotated = masked - MASK_DELTA;
    return (rotated >>> 17) | (rotated << 15);
  }

  /** {@code mask(crc32c(data[offset, offset+length)))}. */
  public static int maskedCrc32c(byte[] data, int offset, int length) {
    return mask(crc32c(data, offset, length));
  }

  /** One complete record holding {@code data}. */
  public static byte[] frame(byte[] data) {
    byte[] out = new byte[HEADER_BYTES + data.length + FOOTER_BYTES];
    writeHeader(data.length, out);
    System.arraycopy(data, 0, out, HEADER_BYTES, data.length);
    putIntLe(out, HEADER_BYTES + data.length, maskedCrc32c(data, 0, data.length));
    return out;
  }

  /** Fills {@code header[0, 12)} with the length of a record's data and its masked CRC. */
  static void writeHeader(long dataLength, byte[] header) {
    putLongLe(header, 0, dataLength);
    putIntLe(header, 8, maskedCrc32c(header, 0, 8));
  }

  static void putLongLe(byte[] b, int at, long v) {
    for (int i = 0; i < 8; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  static void putIntLe(byte[] b, int at, int v) {
    for (int i = 0; i < 4; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  static long getLongLe(byte[] b, int at) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[at + i] & 0xffL);
    }
    return v;
  }

  static int getIntLe(byte[] b, int at) {
    int v = 0;
    for (int i = 3; i >= 0; i--) {
      v = (v << 8) | (b[at + i] & 0xff);
    }
    return v;
  }
}

package dev.tfmon.checkpoint;

import dev.tfmon.errors.DataLossException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfmon.errors.NotFoundException;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.BundleHeaderProto;

/**
 * The {@code .index} file of a V2 checkpoint: a LevelDB-style sorted table (data blocks, an index
 * block, a footer ending in a magic number) mapping each tensor name to its {@code
 * BundleEntryProto}, with key {@code ""} holding the {@code BundleHeaderProto}. A partitioned tensor
 * has an entry under its name listing its slices, and one entry per slice under a binary {@link
 * SliceKey}. Every block's checksum is verified while parsing.
 */
final class BundleIndex {
  private static final long TABLE_MAGIC = 0xdb4775248b80fb57L;
  private static final int FOOTER_LENGTH = 48;
  private static final int BLOCK_TRAILER_LENGTH = 5;

  final Path file;
  final BundleHeaderProto header;
  /** Entries by tensor name, in the table's (sorted) order; a sliced tensor's entry holds no data. */
  final Map<String, BundleEntryProto> entries;
  /** The stored slices of each sliced tensor, by the tensor's name. */
  final Map<String, List<StoredSlice>> slices;

  /** One stored slice: where it is and its own entry (dtype, slice shape, shard, offset, CRC). */
  record StoredSlice(TensorSlice slice, BundleEntryProto entry) {}

  private BundleIndex(
      Path file,
      BundleHeaderProto header,
      Map<String, BundleEntryProto> entries,
      Map<String, List<StoredSlice>> slices) {
    this.file = file;
    this.header = header;
    this.entries = entries;
    this.slices = slices;
  }

  /**
   * Reads and checks {@code prefix.index}.
   *
   * @throws NotFoundException if the file does not exist
   * @throws DataLossException naming the file and the damage, if it does not parse or a checksum
   *     fails
   */
  static BundleIndex read(String prefix) {
    Path file = Path.of(prefix + ".index");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new NotFoundException("checkpoint index " + file + " does not exist", e);
    } catch (IOException e) {
      throw new DataLossException("cannot read checkpoint index " + file + ": " + e, e);
    }
    try {
      return parse(file, bytes);
    } catch (RuntimeException | InvalidProtocolBufferException e) {
      if (e instanceof DataLossException) {
        throw (DataLossException) e;
      }
      throw new DataLossException(
          "checkpoint index " + file + " is corrupt: " + e.getMessage(), e);
    }
  }

  private static BundleIndex parse(Path file, byte[] bytes) throws InvalidProtocolBufferException {
    if (bytes.length < FOOTER_LENGTH) {
      throw corrupt(file, "it has " + bytes.length + " bytes, fewer than a table footer's 48");
    }
    ByteBuffer footer =
        ByteBuffer.wrap(bytes, bytes.length - FOOTER_LENGTH, FOOTER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    long magic = footer.getLong(bytes.length - 8);
    if (magic != TABLE_MAGIC) {
      throw corrupt(file, String.format("bad table magic number 0x%016x", magic));
    }
    Reader f = new Reader(bytes, bytes.length - FOOTER_LENGTH, bytes.length - 8);
    f.varint(); // metaindex handle: TensorFlow's bundles keep nothing there
    f.varint();
    long indexOffset = f.varint();
    long indexSize = f.varint();
    Map<String, BundleEntryProto> entries = new LinkedHashMap<>();
    Map<String, List<StoredSlice>> slices = new LinkedHashMap<>();
    BundleHeaderProto header = null;
    Reader indexBlock = block(file, bytes, indexOffset, indexSize, "index block");
    for (byte[][] kv : entries(file, indexBlock, "index block")) {
      Reader handle = new Reader(kv[1], 0, kv[1].length);
      long offset = handle.varint();
      long size = handle.varint();
      Reader data = block(file, bytes, offset, size, "data block at offset " + offset);
      for (byte[][] e : entries(file, data, "data block at offset " + offset)) {
        if (e[0].length == 0) {
          header = BundleHeaderProto.parseFrom(e[1]);
        } else if (SliceKey.isSliceKey(e[0])) {
          SliceKey key = sliceKey(file, e[0]);
          slices.computeIfAbsent(key.name(), n -> new ArrayList<>())
              .add(new StoredSlice(key.slice(), BundleEntryProto.parseFrom(e[1])));
        } else {
          entries.put(new String(e[0], StandardCharsets.UTF_8), BundleEntryProto.parseFrom(e[1]));
        }
      }
    }
    if (header == null) {
      throw corrupt(file, "it has no header entry (key \"\")");
    }
    if (header.getEndianness() != BundleHeaderProto.Endianness.LITTLE) {
      throw corrupt(file, "its tensors are big-endian, which tfmon cannot read");
    }
    for (Map.Entry<String, BundleEntryProto> e : entries.entrySet()) {
      checkShard(file, header, "entry '" + e.getKey() + "'", e.getValue());
    }
    for (Map.Entry<String, List<StoredSlice>> e : slices.entrySet()) {
      BundleEntryProto full = entries.get(e.getKey());
      if (full == null || full.getSlicesCount() == 0) {
        throw corrupt(file, "it stores slices of '" + e.getKey() + "' but no sliced entry of that name");
      }
      for (StoredSlice s : e.getValue()) {
        checkShard(file, header, "slice " + s.slice() + " of '" + e.getKey() + "'", s.entry());
      }
    }
    return new BundleIndex(file, header, entries, slices);
  }

  private static void checkShard(Path file, BundleHeaderProto header, String what, BundleEntryProto entry) {
    int shard = entry.getShardId();
    if (shard < 0 || shard >= header.getNumShards()) {
      throw corrupt(file, what + " names shard " + shard + " of " + header.getNumShards());
    }
  }

  private static SliceKey sliceKey(Path file, byte[] key) {
    try {
      return SliceKey.decode(key);
    } catch (IllegalArgumentException e) {
      throw corrupt(file, "key " + HexFormat.of().formatHex(key) + " is not a valid slice key: " + e.getMessage());
    }
  }

  /** The data file of shard {@code shard}: {@code prefix.data-00000-of-00002}. */
  static Path dataFile(String prefix, int shard, int numShards) {
    return Path.of(String.format("%s.data-%05d-of-%05d", prefix, shard, numShards));
  }

  /** TensorFlow's masked CRC32C, which keeps CRCs of data that embeds CRCs well distributed. */
  static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
  }

  static int crc32c(byte[] data, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, offset, length);
    return (int) crc.getValue();
  }

  private static Reader block(Path file, byte[] bytes, long offset, long size, String what) {
    if (offset < 0 || size < 0 || offset + size + BLOCK_TRAILER_LENGTH > bytes.length - FOOTER_LENGTH) {
      throw corrupt(file, what + " [" + offset + ", +" + size + ") lies outside the file");
    }
    int start = (int) offset;
    int end = (int) (offset + size);
    if (bytes[end] != 0) {
      throw corrupt(file, what + " is compressed (type " + bytes[end] + "), which bundles never are");
    }
    int stored =
        ByteBuffer.wrap(bytes, end + 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    int actual = mask(crc32c(bytes, start, (int) size + 1));
    if (stored != actual) {
      throw corrupt(
          file,
          what
              + ": block checksum mismatch (stored 0x"
              + Integer.toHexString(stored)
              + ", computed 0x"
              + Integer.toHexString(actual)
              + ")");
    }
    return new Reader(bytes, start, end);
  }

  private static Iterable<byte[][]> entries(Path file, Reader block, String what) {
    int end = block.end;
    if (end - block.pos < 4) {
      throw corrupt(file, what + " is too short");
    }
    int restarts = ByteBuffer.wrap(block.bytes, end - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    int entriesEnd = end - 4 - 4 * restarts;
    if (restarts < 0 || entriesEnd < block.pos) {
      throw corrupt(file, what + " has a bad restart count " + restarts);
    }
    java.util.List<byte[][]> out = new java.util.ArrayList<>();
    Reader r = new Reader(block.bytes, block.pos, entriesEnd);
    byte[] key = new byte[0];
    while (r.pos < entriesEnd) {
      int shared = (int) r.varint();
      int nonShared = (int) r.varint();
      int valueLength = (int) r.varint();
      if (shared > key.length || nonShared < 0 || valueLength < 0
          || r.pos + (long) nonShared + valueLength > entriesEnd) {
        throw corrupt(file, what + " has a malformed entry at byte " + r.pos);
      }
      byte[] next = Arrays.copyOf(key, shared + nonShared);
      System.arraycopy(r.bytes, r.pos, next, shared, nonShared);
      r.pos += nonShared;
      byte[] value = Arrays.copyOfRange(r.bytes, r.pos, r.pos + valueLength);
      r.pos += valueLength;
      key = next;
      out.add(new byte[][] {key, value});
    }
    return out;
  }

  private static DataLossException corrupt(Path file, String why) {
    return new DataLossException("checkpoint index " + file + " is corrupt: " + why);
  }

  /** A cursor over a byte range that reads LevelDB varints. */
  private static final class Reader {
    final byte[] bytes;
    int pos;
    final int end;

    Reader(byte[] bytes, int pos, int end) {
      this.bytes = bytes;
      this.pos = pos;
      this.end = end;
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalArgumentException("a varint runs past the end of its block");
        }
        int b = bytes[pos++] & 0xff;
        result |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("a varint is longer than 10 bytes");
    }
  }
}

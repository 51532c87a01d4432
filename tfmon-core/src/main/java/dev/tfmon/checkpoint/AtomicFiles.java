package dev.tfmon.checkpoint;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Replaces a file so that a reader (or a process killed mid-write) sees either the old content or
 * the new, never a mix: the content goes to {@code <name>.tmp<16 hex digits>} in the same directory,
 * which is then renamed over the target. The model directory's small files (the {@code checkpoint}
 * state file, {@code .meta}, {@code graph.pbtxt}) are written this way.
 *
 * <pre>{@code
 * AtomicFiles.write(dir.resolve("graph.pbtxt"), text.getBytes(StandardCharsets.UTF_8));
 * AtomicFiles.write(output, temp -> ImageIO.write(image, "png", temp.toFile()));
 * }</pre>
 *
 * <p>Like TensorFlow's own state-file write it does not fsync: a kill never loses the page cache,
 * only a power cut could.
 */
public final class AtomicFiles {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern TEMPORARY = Pattern.compile(".+\\.tmp[0-9a-f]{16}");

  private AtomicFiles() {}

  /** Writes the content of a file, given its temporary path. */
  @FunctionalInterface
  public interface ContentWriter {
    void writeTo(Path temp) throws IOException;
  }

  /**
   * Replaces {@code target} with {@code bytes} atomically.
   *
   * @throws IOException if the temporary file cannot be written or moved; the target is unchanged
   */
  public static void write(Path target, byte[] bytes) throws IOException {
    Objects.requireNonNull(bytes, "bytes");
    write(target, temp -> Files.write(temp, bytes));
  }

  /**
   * Replaces {@code target} with what {@code writer} writes to a temporary file beside it. The
   * temporary file is deleted whatever happens.
   *
   * @throws IOException from the writer or the move; the target is unchanged
   */
  public static void write(Path target, ContentWriter writer) throws IOException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(writer, "writer");
    byte[] suffix = new byte[8];
    RANDOM.nextBytes(suffix);
    Path temp = target.resolveSibling(target.getFileName() + ".tmp" + HexFormat.of().formatHex(suffix));
    try {
      writer.writeTo(temp);
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** True if {@code fileName} is one of the temporary names {@link #write} uses. */
  public static boolean isTemporary(String fileName) {
    return TEMPORARY.matcher(fileName).matches();
  }

  /** True if {@code fileName} is a temporary file of {@code target}'s name. */
  static boolean isTemporaryOf(String fileName, String target) {
    return fileName.startsWith(target + ".tmp") && isTemporary(fileName);
  }
}

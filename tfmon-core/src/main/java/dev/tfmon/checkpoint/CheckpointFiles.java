package dev.tfmon.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of V2 checkpoints on disk: which prefixes a directory holds, when a checkpoint was last
 * written, and a fingerprint that changes whenever one of its files is rewritten.
 */
final class CheckpointFiles {
  private static final Pattern FILE = Pattern.compile("(.+)(\\.index|\\.meta|\\.data-\\d{5}-of-\\d{5})");

  private CheckpointFiles() {}

  /**
   * Every checkpoint prefix with an {@code .index}, {@code .meta} or data file in {@code dir}, with
   * the newest modification time (seconds) among its files; one listing of the directory.
   */
  static Map<Path, Double> checkpointsIn(Path dir) {
    Map<Path, Double> out = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        Matcher m = FILE.matcher(f.getFileName().toString());
        if (m.matches()) {
          BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
          if (a.isRegularFile()) {
            out.merge(f.resolveSibling(m.group(1)), a.lastModifiedTime().toMillis() / 1000.0, Math::max);
          }
        }
      }
    } catch (IOException e) {
      return Map.of(); // unreadable or changing under us: no orphan is worth a guess
    }
    return out;
  }

  /** The files of checkpoint {@code prefix} that exist: index, data files, MetaGraph. */
  static List<Path> filesOf(Path prefix) {
    List<Path> out = new ArrayList<>();
    Path dir = prefix.toAbsolutePath().getParent();
    String base = prefix.getFileName().toString();
    if (dir == null || !Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, globEscaped(base) + ".*")) {
      for (Path f : files) {
        Matcher m = FILE.matcher(f.getFileName().toString());
        if (m.matches() && m.group(1).equals(base)) {
          out.add(f);
        }
      }
    } catch (IOException e) {
      return out;
    }
    out.sort(null);
    return out;
  }

  /** The newest modification time (seconds) among the files of {@code prefix}, or -infinity. */
  static double newestMtime(Path prefix) {
    double newest = Double.NEGATIVE_INFINITY;
    for (Path f : filesOf(prefix)) {
      try {
        newest = Math.max(newest, Files.getLastModifiedTime(f).toMillis() / 1000.0);
      } catch (IOException e) {
        // gone meanwhile: it no longer counts
      }
    }
    return newest;
  }

  /**
   * Identifies the current content of a checkpoint's index and data files by name, size,
   * modification time and file key (inode): a rewrite of any of them changes it.
   *
   * @throws NoSuchFileException if a file is missing
   */
  static String fingerprint(String prefix, int numShards) throws IOException {
    StringBuilder b = new StringBuilder(Path.of(prefix).toAbsolutePath().normalize().toString());
    List<Path> files = new ArrayList<>();
    files.add(Path.of(prefix + ".index"));
    for (int shard = 0; shard < numShards; shard++) {
      files.add(BundleIndex.dataFile(prefix, shard, numShards));
    }
    for (Path f : files) {
      BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
      b.append('|').append(f.getFileName()).append(' ').append(a.size()).append(' ')
          .append(a.lastModifiedTime().toMillis()).append(' ').append(a.lastModifiedTime().toInstant().getNano())
          .append(' ').append(a.fileKey());
    }
    return b.toString();
  }

  private static String globEscaped(String s) {
    return s.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
  }
}

package dev.tfmon.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.types.TFloat32;

/** Shared inputs of the export tests: the interop folders written by Python TensorFlow, CSV rows. */
final class ExportFixtures {
  private ExportFixtures() {}

  /** {@code shared/interop/<folder>} in the nearest ancestor of the working directory. */
  static Path interop(String folder) {
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("interop").resolve(folder);
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no shared/interop/" + folder + " above " + start);
  }

  /** The names in {@code dir}, sorted. */
  static String[] listing(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
    }
  }

  /** The feature columns (all but the last) of {@code linear-ref/data.csv}, as a [rows, 4] tensor. */
  static TFloat32 linearFeatures(Path csv) {
    List<float[]> rows = new ArrayList<>();
    try {
      List<String> lines = Files.readAllLines(csv);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        float[] row = new float[f.length - 1];
        for (int i = 0; i < row.length; i++) {
          row[i] = Float.parseFloat(f[i]);
        }
        rows.add(row);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return TFloat32.tensorOf(
        org.tensorflow.ndarray.StdArrays.ndCopyOf(rows.toArray(new float[0][])));
  }
}

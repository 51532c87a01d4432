package dev.tfmon.bench;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.Runner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;

/**
 * Checkpoint save and restore of float variables against raw sequential file I/O of the same bytes
 * on the same disk, and the time an asynchronous save blocks the step loop against a synchronous
 * save. Prints a Markdown table (docs/BENCHMARKS.md).
 *
 * <p>Args: {@code <scratch dir> <MB>...}, e.g. {@code /work/bench-tmp 256 1024}.
 */
public final class CheckpointBench {
  private static final int VARIABLE_FLOATS = 4 << 20; // 16 MB per variable
  private static final int REPEATS = 3;

  private CheckpointBench() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    System.out.println("| size | raw write | save (sync) | save / raw write | async save blocks | blocked / sync save"
        + " | raw read | restore | restore + verify | verify overhead |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (int i = 1; i < args.length; i++) {
      run(dir, Integer.parseInt(args[i]));
    }
  }

  private static void run(Path dir, int megabytes) throws IOException {
    long bytes = (long) megabytes << 20;
    int variables = (int) (bytes / (4L * VARIABLE_FLOATS));
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      List<GraphOperation> inits = new ArrayList<>();
      for (int v = 0; v < variables; v++) {
        GraphOperation var =
            g.opBuilder("VariableV2", "v" + v, tf.scope())
                .setAttr("dtype", DataType.DT_FLOAT)
                .setAttr("shape", Shape.of(VARIABLE_FLOATS))
                .build();
        var random = tf.random.randomUniform(tf.constant(new int[] {VARIABLE_FLOATS}), org.tensorflow.types.TFloat32.class);
        inits.add(g.opBuilder("Assign", "v" + v + "/Assign", tf.scope()).addInput(var.output(0)).addInput(random.asOutput()).build());
      }
      Saver sync = Saver.builder(g).maxToKeep(1).writeMetaGraph(false).build();
      Saver async = Saver.builder(g).maxToKeep(1).writeMetaGraph(false).asyncSave(true).name("async_save").build();
      try (NativeSession s = NativeSession.open(g)) {
        Runner init = s.runner();
        inits.forEach(init::addTarget);
        init.run().close();
        Path raw = dir.resolve("raw.bin");
        double[] rawWrite = new double[REPEATS];
        double[] save = new double[REPEATS];
        double[] blocked = new double[REPEATS];
        double[] rawRead = new double[REPEATS];
        double[] restore = new double[REPEATS];
        double[] verified = new double[REPEATS];
        String prefix = dir.resolve("sync/model.ckpt").toString();
        String asyncPrefix = dir.resolve("async/model.ckpt").toString();
        // warm-up: builds the snapshot ops, touches every page once
        async.save(s, asyncPrefix, 0);
        async.awaitPendingSave();
        String path = sync.save(s, prefix, 0);
        for (int r = 0; r < REPEATS; r++) {
          rawWrite[r] = time(() -> writeRaw(raw, bytes));
          final long step = r + 1;
          save[r] = time(() -> sync.save(s, prefix, step));
          path = prefix + "-" + step;
          blocked[r] = time(() -> async.save(s, asyncPrefix, step));
          async.awaitPendingSave();
          rawRead[r] = time(() -> readRaw(raw));
          final String p = path;
          restore[r] = time(() -> sync.restore(s, p));
          verified[r] = time(() -> {
            try (CheckpointReader reader = CheckpointReader.open(p)) {
              reader.verify();
            }
            sync.restore(s, p);
          });
        }
        async.close();
        Files.deleteIfExists(raw);
        double mb = megabytes;
        System.out.printf(
            "| %d MB | %.0f MB/s | %.0f MB/s | %.2f× | %.0f ms | %.0f %% | %.0f MB/s | %.0f MB/s | %.0f MB/s | +%.0f %% |%n",
            megabytes,
            mb / median(rawWrite),
            mb / median(save),
            median(rawWrite) / median(save),
            median(blocked) * 1000,
            100 * median(blocked) / median(save),
            mb / median(rawRead),
            mb / median(restore),
            mb / median(verified),
            100 * (median(verified) / median(restore) - 1));
      }
    }
  }

  private interface Action {
    void run() throws IOException;
  }

  private static double time(Action a) {
    long t0 = System.nanoTime();
    try {
      a.run();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double median(double[] xs) {
    double[] c = xs.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  private static void writeRaw(Path file, long bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
    byte[] pattern = new byte[buf.capacity()];
    new java.util.Random(1).nextBytes(pattern);
    buf.put(pattern).flip();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      for (long written = 0; written < bytes; ) {
        buf.rewind();
        written += ch.write(buf);
      }
    }
  }

  private static void readRaw(Path file) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (ch.read(buf) >= 0) {
        buf.clear();
      }
    }
  }
}

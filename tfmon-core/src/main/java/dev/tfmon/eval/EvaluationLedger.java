package dev.tfmon.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record of every evaluation of a model directory: {@code <model_dir>/eval/evaluations.jsonl}
 * (or {@code eval_<name>/}), one JSON line per evaluation with the checkpoint, its global step,
 * the wall time and every metric. TF 1.x keeps no such record; here best-checkpoint retention and
 * early stopping rebuild their state from it after a restart, and a sidecar evaluator skips what
 * is already in it.
 *
 * <pre>{@code
 * EvaluationLedger ledger = EvaluationLedger.forModelDir(Path.of("runs/default"), "");
 * ledger.append(result);
 * for (EvalResult r : ledger.read()) System.out.println(r.globalStep() + " " + r.scalars());
 * }</pre>
 *
 * <p>Each line is whole or absent: an append takes an exclusive file lock, cuts off a torn tail
 * left by a writer that died mid-line (logged), writes the line in one {@code write} and forces
 * it to disk. A reader ignores a torn last line with a warning. Checkpoints inside the model
 * directory are stored relative to it, so the directory can be moved. Thread-safe.
 */
public final class EvaluationLedger {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluationLedger.class);
  /** The ledger's file name inside an evaluation directory. */
  public static final String FILE_NAME = "evaluations.jsonl";
  private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

  private final Path file;
  private final Path modelDir;

  private EvaluationLedger(Path file, Path modelDir) {
    this.file = file;
    this.modelDir = modelDir;
  }

  /**
   * The ledger of {@code modelDir}'s evaluation {@code name}: {@code <modelDir>/eval/} for the
   * empty name, else {@code <modelDir>/eval_<name>/} (Estimator's layout).
   */
  public static EvaluationLedger forModelDir(Path modelDir, String name) {
    return new EvaluationLedger(Evaluation.evalDir(modelDir, name).resolve(FILE_NAME), modelDir);
  }

  /** A ledger at {@code file}; checkpoints under {@code modelDir} are stored relative to it. */
  public static EvaluationLedger at(Path file, Path modelDir) {
    return new EvaluationLedger(Objects.requireNonNull(file, "file"), Objects.requireNonNull(modelDir, "modelDir"));
  }

  /** The ledger file. */
  public Path file() {
    return file;
  }

  /**
   * Appends {@code result} as one line (creating the file and its directory if needed).
   *
   * @throws UncheckedIOException naming the file if it cannot be written
   */
  public void append(EvalResult result) {
    byte[] line = (LedgerJson.encode(stored(result.checkpoint()), result) + "\n").getBytes(StandardCharsets.UTF_8);
    Object monitor = LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), k -> new Object());
    synchronized (monitor) {
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = ch.lock()) {
          long end = wholeLinesEnd(ch);
          if (end < ch.size()) {
            LOG.warn("{}: cutting off a torn last line ({} bytes) left by an interrupted write", file, ch.size() - end);
            ch.truncate(end);
          }
          ByteBuffer buf = ByteBuffer.wrap(line);
          long at = end;
          while (buf.hasRemaining()) {
            at += ch.write(buf, at);
          }
          ch.force(false);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot append to the evaluation ledger " + file + ": " + e.getMessage(), e);
      }
    }
  }

  /** The length of the file up to and including its last newline. */
  private static long wholeLinesEnd(FileChannel ch) throws IOException {
    long size = ch.size();
    ByteBuffer one = ByteBuffer.allocate(4096);
    long pos = size;
    while (pos > 0) {
      int n = (int) Math.min(one.capacity(), pos);
      one.clear().limit(n);
      long from = pos - n;
      while (one.hasRemaining()) {
        if (ch.read(one, from + one.position()) < 0) {
          break;
        }
      }
      for (int i = n - 1; i >= 0; i--) {
        if (one.get(i) == '\n') {
          return from + i + 1;
        }
      }
      pos = from;
    }
    return 0;
  }

  /**
   * Every evaluation recorded, in file order. A torn last line is skipped with a warning, as is
   * (naming its line number) any other line that does not parse. No file: an empty list.
   *
   * @throws UncheckedIOException if the file exists but cannot be read
   */
  public List<EvalResult> read() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the evaluation ledger " + file + ": " + e.getMessage(), e);
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    List<EvalResult> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      boolean last = i == lines.length - 1;
      if (line.isBlank()) {
        continue;
      }
      try {
        LedgerJson.Line l = LedgerJson.decode(line);
        out.add(new EvalResult(resolved(l.checkpoint()), l.globalStep(), l.wallTime(), l.metrics()));
      } catch (IllegalArgumentException e) {
        if (last) {
          LOG.warn("{}: ignoring a torn last line (a write was interrupted): {}", file, e.getMessage());
        } else {
          LOG.warn("{} line {} is not an evaluation record, skipped: {}", file, i + 1, e.getMessage());
        }
      }
    }
    return out;
  }

  /**
   * The latest record of each global step up to {@code lastStep} inclusive, by step: what a run
   * restored at {@code lastStep} had seen when its checkpoint was written (a step evaluated twice,
   * as after a restart, counts once, with its latest values).
   */
  public List<EvalResult> readUpTo(long lastStep) {
    return latestPerStep(read(), lastStep);
  }

  static List<EvalResult> latestPerStep(Collection<EvalResult> results, long lastStep) {
    TreeMap<Long, EvalResult> byStep = new TreeMap<>();
    for (EvalResult r : results) {
      if (r.globalStep() <= lastStep) {
        byStep.put(r.globalStep(), r);
      }
    }
    return List.copyOf(byStep.values());
  }

  private String stored(String checkpoint) {
    Path abs = Path.of(checkpoint).toAbsolutePath().normalize();
    Path root = modelDir.toAbsolutePath().normalize();
    return abs.startsWith(root) ? root.relativize(abs).toString() : checkpoint;
  }

  private String resolved(String stored) {
    Path p = Path.of(stored);
    return p.isAbsolute() ? stored : modelDir.resolve(p).toString();
  }

  @Override
  public String toString() {
    return "EvaluationLedger[" + file + "]";
  }
}

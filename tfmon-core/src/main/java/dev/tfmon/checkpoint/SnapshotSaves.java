package dev.tfmon.checkpoint;

import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.Runner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.types.TString;

/**
 * A {@link Saver}'s asynchronous saves: the caller's thread copies every variable (a DeepCopy
 * fetched to Java, the only part that must not overlap training steps), a background thread feeds
 * the copies to a second set of save ops and writes the files. One save is in flight at a time.
 */
final class SnapshotSaves {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotSaves.class);

  private final Graph graph;
  private final String scopeName;
  private final List<SaveTarget> targets;
  private final Output<?> filenameTensor;
  private final boolean sharded;
  private final Object snapshotLock = new Object();

  private ExecutorService writer;
  private Future<String> inFlight;
  private List<Output<?>> copies;
  private Map<SaveTarget, Output<?>> inputs;
  private Output<?> saveTensor;

  SnapshotSaves(Graph graph, String scopeName, List<SaveTarget> targets, Output<?> filenameTensor, boolean sharded) {
    this.graph = graph;
    this.scopeName = scopeName;
    this.targets = targets;
    this.filenameTensor = filenameTensor;
    this.sharded = sharded;
  }

  /**
   * Copies the variables now and returns {@code path}; the files are written in the background,
   * then {@code afterWrite} gets the written path (state file, retention) on the writer thread.
   */
  String submit(RunnableSession session, String path, Consumer<String> afterWrite) {
    // one snapshot at a time: a second caller waits here rather than racing on inFlight
    synchronized (snapshotLock) {
      await();
      List<Output<?>> toFetch = ops();
      List<Tensor> snapshot = new ArrayList<>();
      Runner fetchAll = session.runner();
      toFetch.forEach(fetchAll::fetch);
      try (RunResult r = fetchAll.run()) {
        for (int i = 0; i < r.size(); i++) {
          snapshot.add(r.take(i));
        }
      }
      Future<String> future = writer().submit(() -> write(session, path, snapshot, afterWrite));
      synchronized (this) {
        inFlight = future;
      }
      return path;
    }
  }

  private String write(RunnableSession session, String path, List<Tensor> snapshot, Consumer<String> afterWrite) {
    try (TString name = TString.scalarOf(path)) {
      Runner runner;
      synchronized (this) {
        runner = session.runner().feed(filenameTensor, name).fetch(saveTensor);
        int i = 0;
        for (SaveTarget t : targets) {
          runner.feed(inputs.get(t), snapshot.get(i++));
        }
      }
      String written;
      try (RunResult r = runner.run()) {
        written = ((TString) r.get(0)).getObject();
      }
      afterWrite.accept(written);
      return written;
    } catch (RuntimeException e) {
      LOG.error("asynchronous save of {} failed: {}", path, e.getMessage());
      throw e;
    } finally {
      snapshot.forEach(Tensor::close);
    }
  }

  /**
   * Waits for the save in flight, if any.
   *
   * @throws RuntimeException the exception that save failed with
   */
  void await() {
    Future<String> pending;
    synchronized (this) {
      pending = inFlight;
      inFlight = null;
    }
    if (pending == null) {
      return;
    }
    try {
      pending.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a checkpoint save", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException("asynchronous checkpoint save failed: " + cause, cause);
    }
  }

  /** Finishes the save in flight (logging its failure) and stops the writer thread. */
  void close() {
    try {
      await();
    } catch (RuntimeException e) {
      LOG.error("the last asynchronous checkpoint save failed: {}", e.getMessage());
    } finally {
      synchronized (this) {
        if (writer != null) {
          writer.shutdown();
        }
      }
    }
  }

  private synchronized ExecutorService writer() {
    if (writer == null) {
      writer =
          Executors.newSingleThreadExecutor(
              task -> {
                Thread t = new Thread(task, "tfmon-checkpoint-writer");
                t.setDaemon(true);
                return t;
              });
    }
    return writer;
  }

  /** The copy ops, built on first use: a DeepCopy per variable, placeholders, a second SaveV2. */
  @SuppressWarnings("unchecked")
  private synchronized List<Output<?>> ops() {
    if (copies == null) {
      SaveGraph ops = new SaveGraph(graph, scopeName);
      copies = ops.snapshotCopies(targets);
      inputs = ops.snapshotPlaceholders(targets);
      saveTensor = ops.buildSave((Output<TString>) (Output<?>) filenameTensor, targets, inputs::get, sharded, "snapshot/");
    }
    return copies;
  }
}

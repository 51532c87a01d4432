package dev.tfmon.checkpoint;

import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.runtime.RunnableSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.types.TString;

/**
 * The restore path of a {@link Saver}: runs its RestoreV2 op and, when that fails (or, for
 * resource variables, which accept a value of any shape, after it succeeds), compares the
 * checkpoint's index with what the op reads so the error names every offending variable.
 */
final class Restorer {
  private final Output<?> filenameTensor;
  private final GraphOperation restoreOp;
  private RestoreCheck restoreCheck;
  /** Fingerprints of checkpoints already found to fit the restore op's variables. */
  private final Set<String> checkedCheckpoints = new HashSet<>();

  Restorer(Output<?> filenameTensor, GraphOperation restoreOp) {
    this.filenameTensor = filenameTensor;
    this.restoreOp = restoreOp;
  }

  /** See {@link Saver#restore}. */
  void restore(RunnableSession session, String checkpointPath) {
    if (checkpointPath == null) {
      throw new IllegalArgumentException("Can't load save_path when it is None (null).");
    }
    if (!Checkpoints.checkpointExists(checkpointPath)) {
      throw new IllegalArgumentException(
          "The passed save_path is not a valid checkpoint: " + checkpointPath);
    }
    try (TString name = TString.scalarOf(checkpointPath)) {
      session.runner().feed(filenameTensor, name).addTarget(restoreOp).run().close();
    } catch (TensorFlowStatusException e) {
      List<RestoreMismatch> mismatches;
      try (CheckpointReader reader = CheckpointReader.open(checkpointPath)) {
        mismatches = restoreCheck().mismatches(reader);
      } catch (TensorFlowStatusException unreadable) {
        mismatches = List.of();
      }
      if (!mismatches.isEmpty()) {
        throw mismatchError(checkpointPath, mismatches, e);
      }
      throw TensorFlowStatusException.of(
          e.code(),
          "Restoring from checkpoint " + checkpointPath + " failed: " + e.tensorflowMessage(),
          e);
    }
    if (!restoreCheck().shapesEnforcedByRuntime()) {
      checkAfterRestore(checkpointPath);
    }
  }

  /** Compares the checkpoint with the restored variables, once per version of its files. */
  private void checkAfterRestore(String checkpointPath) {
    try (CheckpointReader reader = CheckpointReader.open(checkpointPath)) {
      String fingerprint = CheckpointFiles.fingerprint(checkpointPath, reader.numShards());
      synchronized (this) {
        if (checkedCheckpoints.contains(fingerprint)) {
          return;
        }
      }
      List<RestoreMismatch> mismatches = restoreCheck().mismatches(reader);
      if (!mismatches.isEmpty()) {
        throw mismatchError(checkpointPath, mismatches, null);
      }
      synchronized (this) {
        checkedCheckpoints.add(fingerprint);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the files of checkpoint " + checkpointPath + ": " + e, e);
    }
  }

  private static TensorFlowStatusException mismatchError(
      String checkpointPath, List<RestoreMismatch> mismatches, Throwable cause) {
    List<String> all = new ArrayList<>();
    mismatches.stream().filter(RestoreMismatch::missing).forEach(m -> all.add(m.describe()));
    mismatches.stream().filter(m -> !m.missing()).forEach(m -> all.add(m.describe()));
    String message =
        "Restoring from checkpoint " + checkpointPath + " failed, the graph does not match it: "
            + String.join("; ", all);
    TensorFlowStatusException error =
        mismatches.stream().anyMatch(RestoreMismatch::missing)
            ? new NotFoundException(message)
            : new InvalidArgumentException(message);
    if (cause != null) {
      error.addSuppressed(cause);
    }
    return error;
  }

  private synchronized RestoreCheck restoreCheck() {
    if (restoreCheck == null) {
      restoreCheck = RestoreCheck.ofRestoreOp(restoreOp);
    }
    return restoreCheck;
  }
}

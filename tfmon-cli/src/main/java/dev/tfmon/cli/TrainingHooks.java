package dev.tfmon.cli;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.SessionRunArgs;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.summary.SummaryWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.proto.Summary;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * The hooks {@code tfmon train} runs: scalars (progress and TensorBoard summaries), checkpoints,
 * and the step limit. Each reads the global step's read copy, which holds the value before the
 * run's increment, so the step a run completed is that value plus one.
 */
final class TrainingHooks {
  private TrainingHooks() {}

  /** Fetches the loss (and other scalars) every run: drives the progress display and the summaries. */
  static final class ScalarsHook implements SessionRunHook {
    private final Output<TInt64> step;
    private final Map<String, Operand<?>> scalars;
    private final Progress progress;
    private final SummaryWriter writer;
    private final int summarySteps;
    private final LongSupplier nanos;
    private final SessionRunArgs args;
    private long lastSummaryStep = -1;
    private long lastSummaryNanos;
    private long lastStep = -1;
    private double lastLoss = Double.NaN;

    /**
     * @param scalars tag → scalar tensor; the first one is the loss shown by the progress display
     */
    ScalarsHook(
        Output<TInt64> step, Map<String, Operand<?>> scalars, Progress progress, SummaryWriter writer,
        int summarySteps, LongSupplier nanos) {
      this.step = step;
      this.scalars = new LinkedHashMap<>(scalars);
      this.progress = progress;
      this.writer = writer;
      this.summarySteps = summarySteps;
      this.nanos = nanos;
      SessionRunArgs.Builder b = SessionRunArgs.builder().fetch(step);
      this.scalars.values().forEach(b::fetch);
      this.args = b.build();
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      return args;
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      long done = ((TInt64) values.get(0)).getLong() + 1;
      List<Double> v = new ArrayList<>();
      for (int i = 1; i < values.results().size(); i++) {
        v.add(scalar(values.get(i)));
      }
      lastStep = done;
      lastLoss = v.get(0);
      progress.update(done, v.get(0));
      if (summarySteps > 0 && (lastSummaryStep < 0 || done - lastSummaryStep >= summarySteps)) {
        Summary.Builder s = Summary.newBuilder();
        int i = 0;
        for (String tag : scalars.keySet()) {
          s.addValue(Summary.Value.newBuilder().setTag(tag).setSimpleValue(v.get(i++).floatValue()));
        }
        long now = nanos.getAsLong();
        if (lastSummaryStep >= 0) {
          double perSec = (done - lastSummaryStep) / ((now - lastSummaryNanos) / 1e9);
          s.addValue(Summary.Value.newBuilder().setTag("global_step/sec").setSimpleValue((float) perSec));
        }
        writer.addSummary(s.build(), done);
        lastSummaryStep = done;
        lastSummaryNanos = now;
      }
    }

    @Override
    public void end(NativeSession session) {
      writer.flush();
    }

    long lastStep() {
      return lastStep;
    }

    double lastLoss() {
      return lastLoss;
    }

    private static double scalar(Tensor t) {
      if (t instanceof TFloat32) {
        return ((TFloat32) t).getFloat();
      }
      if (t instanceof TFloat64) {
        return ((TFloat64) t).getDouble();
      }
      throw CliException.failure("expected a float scalar to log, but got " + t.dataType() + " " + t.shape());
    }
  }

  /**
   * Saves a checkpoint when the session is first created without one, every {@code steps} steps
   * or {@code secs} seconds, and at a clean end (including a stop by signal).
   */
  static final class CheckpointHook implements SessionRunHook {
    private final Saver saver;
    private final String prefix;
    private final Output<TInt64> step;
    private final long everySteps;
    private final long everyNanos;
    private final LongSupplier nanos;
    private final SessionRunArgs args;
    private long lastSavedStep = -1;
    private long lastSavedNanos;
    private String lastPath;

    CheckpointHook(Saver saver, Path modelDir, Output<TInt64> step, long everySteps, long everySecs, LongSupplier nanos) {
      this.saver = saver;
      this.prefix = modelDir.resolve("model.ckpt").toString();
      this.step = step;
      this.everySteps = everySteps;
      this.everyNanos = everySecs * 1_000_000_000L;
      this.nanos = nanos;
      this.args = SessionRunArgs.fetch(step);
    }

    @Override
    public void afterCreateSession(NativeSession session, Coordinator coordinator) {
      long now = GlobalStep.value(session);
      lastSavedNanos = nanos.getAsLong();
      if (lastSavedStep < 0 && now == 0) {
        save(session, now);
      } else {
        lastSavedStep = now;
      }
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      return args;
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      long done = ((TInt64) values.get(0)).getLong() + 1;
      boolean due =
          everySteps > 0
              ? done - lastSavedStep >= everySteps
              : nanos.getAsLong() - lastSavedNanos >= everyNanos;
      if (due) {
        // The exact value, not the read copy plus one: a train op may add more than one.
        save(context.session(), GlobalStep.value(context.session()));
      }
    }

    @Override
    public void end(NativeSession session) {
      long now = GlobalStep.value(session);
      if (now != lastSavedStep) {
        save(session, now);
      }
      saver.awaitPendingSave();
    }

    private void save(NativeSession session, long at) {
      lastPath = saver.save(session, prefix, at);
      lastSavedStep = at;
      lastSavedNanos = nanos.getAsLong();
    }

    /** The last checkpoint this hook wrote, or null. */
    String lastPath() {
      return lastPath;
    }
  }

  /** Requests a stop once the global step reaches {@code lastStep}. */
  static final class StopAtStepHook implements SessionRunHook {
    private final Output<TInt64> step;
    private final long lastStep;
    private final SessionRunArgs args;

    StopAtStepHook(Output<TInt64> step, long lastStep) {
      this.step = step;
      this.lastStep = lastStep;
      this.args = SessionRunArgs.fetch(step);
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      return args;
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      if (((TInt64) values.get(0)).getLong() + 1 >= lastStep) {
        context.requestStop();
      }
    }
  }
}

package dev.tfmon.summary;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.testing.ChildJvm;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;

/**
 * A training process for the event-file kill tests: {@link MonitoredTrainingSession} on {@code
 * dir} with the summary writer cache's flush interval set to {@code flushSecs}; every {@code
 * summarySteps} steps the summary {@code doubled} (twice the incremented global step) and a text
 * summary of 3 KiB are written.
 * It prints {@code started} once it trains; with {@code lastStep} > 0 it stops stepping there,
 * prints {@code idle <global step>} and waits, session open, to be killed.
 *
 * <p>Args: {@code dir flushSecs summarySteps lastStep}.
 */
public final class SummaryTrainingChildMain {
  private SummaryTrainingChildMain() {}

  public static void main(String[] args) throws InterruptedException {
    ChildJvm.exitWhenParentDies();
    Path dir = Path.of(args[0]);
    SummaryWriterCache.setFlushSecs(Double.parseDouble(args[1]));
    long summarySteps = Long.parseLong(args[2]);
    long lastStep = Long.parseLong(args[3]);
    try (Graph g = new Graph()) {
      GlobalStep.getOrCreate(g);
      Ops tf = Ops.create(g);
      @SuppressWarnings("unchecked")
      Output<TInt64> ref = (Output<TInt64>) GlobalStep.get(g).orElseThrow().variable();
      Output<TInt64> newStep = tf.withName("new_gstep").assignAdd(ref, tf.constant(1L)).asOutput();
      Summaries.scalar(g, "doubled", tf.math.mul(newStep, tf.constant(2L)));
      // A few KiB per summary: the writer's 64 KiB buffer fills many times between two flushes.
      Summaries.text(g, "notes", tf.constant("a note of a few KiB, written with every summary. ".repeat(60)));
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g)
              .checkpointDir(dir)
              .saveSummariesSteps(summarySteps)
              .logStepCountSteps(summarySteps)
              .build()) {
        System.out.println("started");
        long step = 0;
        while (lastStep <= 0 || step < lastStep) {
          try (var result = session.run(newStep)) {
            step = ((TInt64) result.get(0)).getLong();
          }
        }
        System.out.println("idle " + step);
        while (true) {
          Thread.sleep(60_000);
        }
      }
    }
  }
}

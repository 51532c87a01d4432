package dev.tfmon.metrics;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.Hooks;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.session.MonitoredSession;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tensorflow.Graph;
import org.tensorflow.types.TInt64;

/** Runs a real training loop on its own named thread. */
final class Training implements AutoCloseable {
  /** What a finished loop reports: iterations of the loop and the global step after it. */
  record Outcome(long loopSteps, long finalStep) {}

  private final ExecutorService thread;
  private volatile boolean abort;

  Training(String threadName) {
    thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Trains {@code model} with {@code hooks} (plus a stop after {@code safetySteps}, so that a test
   * that goes wrong still ends) until stopped; the metrics hook, if given, is attached and closed.
   */
  Future<Outcome> start(
      Graph g, Model model, TrainingMetricsHook metrics, List<SessionRunHook> hooks, long safetySteps) {
    return thread.submit(
        () -> {
          long[] runs = {0};
          SessionRunHook safety = Hooks.afterRun((ctx, v) -> {
            if (++runs[0] >= safetySteps || abort) {
              ctx.requestStop();
            }
          });
          var builder = MonitoredSession.builder(g).hooks(hooks).hook(safety);
          if (metrics != null) {
            builder.recoveryListener(metrics.stats());
          }
          try (AutoCloseable closeMetrics = metrics == null ? () -> {} : metrics;
              MonitoredSession s = builder.build()) {
            if (metrics != null) {
              metrics.attach(s);
            }
            long n = s.runUntilStopped(x -> x.runner().addTarget(model.trainOp()).run().close());
            long finalStep;
            try (RunResult r = s.runner().fetch(GlobalStep.readTensor(g)).withoutHooks().run()) {
              finalStep = ((TInt64) r.get(0)).getLong();
            }
            return new Outcome(n, finalStep);
          }
        });
  }

  /** Stops a loop still running (a failed test) and waits for it, so the graph can close. */
  @Override
  public void close() throws InterruptedException {
    abort = true;
    thread.shutdown();
    if (!thread.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
      throw new AssertionError("the training thread did not end within 60 s of the abort");
    }
  }
}

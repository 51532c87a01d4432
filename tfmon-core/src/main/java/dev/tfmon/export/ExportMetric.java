package dev.tfmon.export;

import dev.tfmon.runtime.RunnableSession;

/**
 * The number a {@link BestExporter} ranks exports by, computed after each checkpoint with the
 * training session: any function of the session, such as a held-out loss fetched from the training
 * graph. To rank by a {@code dev.tfmon.eval} evaluation of the checkpoint, which runs in a graph
 * and session of its own, use {@link ExportOnImprovement} instead.
 *
 * <pre>{@code
 * ExportMetric evalLoss = (session, step) -> {
 *   try (RunResult r = session.runner().fetch(evalLoss).run()) { return ((TFloat32) r.get(0)).getFloat(); }
 * };
 * }</pre>
 */
@FunctionalInterface
public interface ExportMetric {
  /**
   * The metric of the model in {@code session} at global step {@code step}; NaN means "no value"
   * (no export).
   */
  double evaluate(RunnableSession session, long step);
}

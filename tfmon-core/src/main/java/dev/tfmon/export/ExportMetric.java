package dev.tfmon.export;

import dev.tfmon.runtime.RunnableSession;

/**
 * The number a {@link BestExporter} ranks exports by, computed after each checkpoint with the
 * training session: an evaluation loss or accuracy. This is the seam where a model evaluation
 * plugs in; until tfmon has one, any function of the session works.
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

package dev.tfmon.eval;

import dev.tfmon.eval.metrics.MetricGroup;
import dev.tfmon.eval.metrics.MetricValue;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.Runner;
import dev.tfmon.scaffold.Scaffold;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * At the end of an evaluation session, reads in one run the restored global step, every metric's
 * final value and the eval graph's merged summaries (TF 1.x's {@code FinalOpsHook} and {@code
 * SummaryAtEndHook}, whose writing {@link Evaluation} does once the session is closed).
 */
final class FinalValuesHook implements SessionRunHook {
  private final Scaffold scaffold;
  private final Output<TInt64> globalStep;
  private final MetricGroup metrics;
  private long step = -1;
  private Map<String, MetricValue> values;
  private byte[] summary;

  FinalValuesHook(Scaffold scaffold, Output<TInt64> globalStep, MetricGroup metrics) {
    this.scaffold = scaffold;
    this.globalStep = globalStep;
    this.metrics = metrics;
  }

  @Override
  public void end(RunnableSession session) {
    if (session == null) {
      return;
    }
    Output<TString> summaryOp = scaffold.summaryOp();
    Runner runner = session.runner().fetch(globalStep);
    metrics.values().values().forEach(runner::fetch);
    if (summaryOp != null) {
      runner.fetch(summaryOp);
    }
    try (RunResult r = runner.run()) {
      step = r.getLong(globalStep);
      List<Tensor> fetched = new ArrayList<>(r.tensors());
      List<Tensor> metricTensors = fetched.subList(1, 1 + metrics.values().size());
      values = metrics.decode(metricTensors);
      if (summaryOp != null) {
        summary = ((TString) fetched.get(fetched.size() - 1)).asBytes().getObject();
      }
    }
  }

  /** True once {@code end} ran (the loop ended cleanly). */
  boolean done() {
    return values != null;
  }

  long globalStep() {
    return step;
  }

  Map<String, MetricValue> values() {
    return values;
  }

  /** The serialized merged summary of the eval graph, or null when it has none. */
  byte[] summary() {
    return summary;
  }
}

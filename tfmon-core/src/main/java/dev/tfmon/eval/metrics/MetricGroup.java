package dev.tfmon.eval.metrics;

import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.Runner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;

/**
 * Several metrics of one graph run together, as an evaluation loop runs them (Estimator's {@code
 * eval_metric_ops}): one update op for every batch, one reset op, and the value tensors by metric
 * name, fetched once at the end.
 *
 * <pre>{@code
 * MetricGroup metrics = MetricGroup.of(accuracy, auc, loss);
 * while (more batches) session.runner().addTarget(metrics.updateOp()).run().close();
 * Map<String, MetricValue> values = metrics.read(session);   // {accuracy=0.93, auc=0.97, loss=0.21}
 * }</pre>
 */
public final class MetricGroup {
  private final List<Metric> metrics;
  private final Map<String, Output<?>> values;
  private final Operation updateOp;
  private final Operation resetOp;

  private MetricGroup(List<Metric> metrics, Operation updateOp, Operation resetOp) {
    this.metrics = List.copyOf(metrics);
    Map<String, Output<?>> byName = new LinkedHashMap<>();
    metrics.forEach(m -> byName.put(m.name(), m.value()));
    this.values = Collections.unmodifiableMap(byName);
    this.updateOp = updateOp;
    this.resetOp = resetOp;
  }

  public static MetricGroup of(Metric... metrics) {
    return of(List.of(metrics));
  }

  /**
   * Groups {@code metrics} (at least one, all of one graph, names distinct), creating the update op
   * ({@code metric_updates}) and reset op ({@code metric_reset}).
   *
   * @throws IllegalArgumentException naming the offending metric
   * @throws IllegalStateException if the graph is finalized
   */
  public static MetricGroup of(List<Metric> metrics) {
    if (metrics.isEmpty()) {
      throw new IllegalArgumentException("a metric group needs at least one metric, but got none");
    }
    Graph graph = (Graph) metrics.get(0).value().env();
    Map<String, Metric> seen = new LinkedHashMap<>();
    for (Metric m : metrics) {
      if (m.value().env() != graph) {
        throw new IllegalArgumentException(
            "metric '" + m.name() + "' belongs to another graph than '" + metrics.get(0).name() + "'");
      }
      if (seen.put(m.name(), m) != null) {
        throw new IllegalArgumentException("two metrics of the group are named '" + m.name() + "'");
      }
    }
    GraphFinalization.checkNotFinalized(graph, "a metric group");
    List<Operation> updates = new ArrayList<>();
    List<Operation> resets = new ArrayList<>();
    for (Metric m : metrics) {
      updates.add(m.updateOp());
      for (GraphVariable v : m.variables()) {
        resets.add(v.initializer());
      }
    }
    return new MetricGroup(
        metrics, noOp(graph, "metric_updates", updates), noOp(graph, "metric_reset", resets));
  }

  private static Operation noOp(Graph graph, String name, List<Operation> after) {
    GraphOperationBuilder b =
        graph.opBuilder("NoOp", GraphNames.uniqueOpName(graph, name), Ops.create(graph).scope());
    after.forEach(b::addControlInput);
    return b.build();
  }

  public List<Metric> metrics() {
    return metrics;
  }

  /** Runs every metric's update once (one batch). */
  public Operation updateOp() {
    return updateOp;
  }

  /**
   * Sets every variable of the group back to zero (what the graph's local init op does for all
   * local variables).
   */
  public Operation resetOp() {
    return resetOp;
  }

  /** The value tensor of each metric by name, in the order given: what an evaluation fetches. */
  public Map<String, Output<?>> values() {
    return values;
  }

  /** The local variables of every metric of the group. */
  public List<GraphVariable> variables() {
    List<GraphVariable> out = new ArrayList<>();
    metrics.forEach(m -> out.addAll(m.variables()));
    return out;
  }

  /** Fetches every value in one run of {@code session} and copies them out, by metric name. */
  public Map<String, MetricValue> read(NativeSession session) {
    Runner runner = session.runner();
    values.values().forEach(runner::fetch);
    try (RunResult r = runner.run()) {
      return decode(r.tensors());
    }
  }

  /**
   * The values of tensors fetched in the order of {@link #values()} (for loops that fetch them
   * through their own session, e.g. a monitored session's final run). The tensors stay the
   * caller's.
   *
   * @throws IllegalArgumentException if the count differs from the number of metrics
   */
  public Map<String, MetricValue> decode(List<? extends org.tensorflow.Tensor> fetched) {
    if (fetched.size() != values.size()) {
      throw new IllegalArgumentException(
          "expected " + values.size() + " fetched values (one per metric), but got " + fetched.size());
    }
    Map<String, MetricValue> out = new LinkedHashMap<>();
    int i = 0;
    for (String name : values.keySet()) {
      out.put(name, MetricValue.of(fetched.get(i++)));
    }
    return Collections.unmodifiableMap(out);
  }
}

package dev.tfmon.eval;

import dev.tfmon.eval.metrics.MetricValue;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.ChiefSessionCreator;
import dev.tfmon.session.MonitoredSession;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TInt64;

/**
 * One evaluation of one checkpoint, as TF 1.x's {@code _evaluate_once}: a fresh graph built by the
 * {@link EvalModel}, a {@link MonitoredSession} whose chief session creator restores exactly that
 * checkpoint (then runs the local init op: metric variables, {@code eval_step}, the input), the
 * metrics' update op run until the input ends or {@link StopAfterNEvalsHook} stops it, and the
 * final values read at the end. Nothing of the training process is shared: graph, session and
 * variables are this run's own.
 */
final class EvalRun {
  /** What one evaluation read: the checkpoint's global step, the metrics, the eval summaries. */
  record Values(long globalStep, Map<String, MetricValue> metrics, byte[] summary, long batches) {}

  private EvalRun() {}

  static Values run(EvalModel model, String checkpoint, Long maxBatches, List<SessionRunHook> hooks,
      String master, ConfigProto config) {
    try (Graph graph = new Graph()) {
      EvalGraph built = model.build(graph);
      if (built == null) {
        throw new IllegalArgumentException("the EvalModel returned null instead of an EvalGraph");
      }
      Graph metricsGraph = (Graph) built.metrics().updateOp().env();
      if (metricsGraph != graph) {
        throw new IllegalArgumentException("the EvalModel built its metrics into another graph than the one given");
      }
      GlobalStep.getOrCreate(graph);
      Output<TInt64> step = GlobalStep.readTensor(graph);
      EvalStepCounter counter = EvalStepCounter.create(graph, built.metrics().updateOp());
      Scaffold scaffold = Scaffold.builder(graph).localInitOp(localInit(graph, built.inputInitializers())).build();
      FinalValuesHook finalValues = new FinalValuesHook(scaffold, step, built.metrics());
      ChiefSessionCreator creator = ChiefSessionCreator.builder(scaffold)
          .master(master).config(config).checkpointPath(checkpoint).build();
      long batches;
      try (MonitoredSession session = MonitoredSession.builder(creator)
          .hooks(hooks)
          .hook(new StopAfterNEvalsHook(maxBatches, counter.completed()))
          .hook(finalValues)
          .build()) {
        batches = session.runUntilStopped(s -> s.run(counter.batch()));
      }
      if (!finalValues.done()) {
        throw new IllegalStateException("the evaluation of " + checkpoint + " ended without reading its metrics");
      }
      return new Values(finalValues.globalStep(), finalValues.values(), finalValues.summary(), batches);
    }
  }

  /**
   * Every local variable's initializer (metric variables, {@code eval_step}, the model's own),
   * the table initializers and the input's initializers, as one op.
   */
  private static Operation localInit(Graph graph, List<Operation> inputInitializers) {
    Set<Operation> deps = new LinkedHashSet<>();
    GraphCollections c = GraphCollections.of(graph);
    for (GraphVariable v : c.variables(CollectionKeys.LOCAL_VARIABLES)) {
      if (v.initializer() != null) {
        deps.add(v.initializer());
      }
    }
    deps.addAll(c.get(CollectionKeys.TABLE_INITIALIZERS, Operation.class));
    deps.addAll(inputInitializers);
    GraphOperationBuilder b = graph.opBuilder("NoOp", GraphNames.uniqueOpName(graph, "eval_local_init"), Ops.create(graph).scope());
    deps.forEach(b::addControlInput);
    return b.build();
  }
}

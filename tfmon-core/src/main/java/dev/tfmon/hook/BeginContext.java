package dev.tfmon.hook;

import java.util.Objects;
import org.tensorflow.Graph;

/**
 * What a hook gets in {@link SessionRunHook#begin}: the graph the session will run, while it can
 * still be changed (no session exists yet, so nothing can be run). TF Java has no default graph,
 * so a hook that needs graph elements (the global step's read tensor, tensors given by name)
 * creates or resolves them here.
 *
 * <pre>{@code
 * public void begin(BeginContext context) {
 *   stepRead = GlobalStep.readTensor(context.graph());
 * }
 * }</pre>
 *
 * @param graph the graph, not yet finalized
 */
public record BeginContext(Graph graph) {
  public BeginContext {
    Objects.requireNonNull(graph, "graph");
  }
}

package dev.tfmon.graph;

import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import org.tensorflow.Graph;

/**
 * TensorFlow 1.x's "finalized graph" flag, which TF Java lacks: a monitored session finalizes its
 * graph while it runs (so that hooks and tfmon's own builders cannot grow the graph step after
 * step, a classic memory leak) and un-finalizes it when it closes. tfmon's builders ({@link
 * GlobalStep#create}, the Scaffold's defaults) check the flag; plain TF Java {@code Ops} calls do
 * not.
 */
public final class GraphFinalization {
  private static final Set<Graph> FINALIZED = Collections.synchronizedSet(
      Collections.newSetFromMap(new WeakHashMap<>()));

  private GraphFinalization() {}

  /** Marks {@code graph} finalized. */
  public static void finalizeGraph(Graph graph) {
    FINALIZED.add(graph);
  }

  /** Clears the flag. */
  public static void unfinalize(Graph graph) {
    FINALIZED.remove(graph);
  }

  /** True while {@code graph} is finalized. */
  public static boolean isFinalized(Graph graph) {
    return FINALIZED.contains(graph);
  }

  /**
   * @throws IllegalStateException naming {@code what}, if {@code graph} is finalized
   */
  public static void checkNotFinalized(Graph graph, String what) {
    if (isFinalized(graph)) {
      throw new IllegalStateException(
          "Graph is finalized and cannot be modified: cannot add " + what
              + " while a monitored session runs this graph (create it before the session)");
    }
  }
}

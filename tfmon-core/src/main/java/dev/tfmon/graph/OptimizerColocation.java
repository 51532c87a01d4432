package dev.tfmon.graph;

import dev.tfmon.runtime.RequestedDevices;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;

/**
 * Puts an optimizer's own variables on the devices of the variables they serve, as TF 1.x does:
 * a slot ({@code w-m}, {@code w-accumulator}, ...) beside its variable, and state shared by all
 * variables (Adam's {@code beta1_power}, AdaGradDA's step counter, ...) beside the variable whose
 * name sorts first. tensorflow-framework creates all of them with no device, so on a cluster each
 * worker would otherwise get a copy of its own, one the chief never initializes.
 *
 * <pre>{@code
 * Set<String> before = OptimizerColocation.opNames(graph);
 * Op update = optimizer.applyGradients(pairs, "train");
 * OptimizerColocation.colocate(graph, before, variables);   // TrainOps.minimize does this
 * }</pre>
 *
 * <p>Nothing changes for variables without a device (a single-process graph), nor for an optimizer
 * variable that asked for a device itself.
 */
public final class OptimizerColocation {
  private static final Set<String> VARIABLE_TYPES = Set.of("VariableV2", "Variable");

  private OptimizerColocation() {}

  /** The names of every operation now in {@code graph}, to tell the optimizer's new ones apart. */
  public static Set<String> opNames(Graph graph) {
    Set<String> names = new HashSet<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      names.add(it.next().name());
    }
    return names;
  }

  /**
   * Gives every variable created since {@code before} (the optimizer's) the device of its primary
   * variable among {@code served}: the one whose name, followed by {@code '-'}, starts the slot's
   * name (tensorflow-framework names slots {@code <variable>-<slot>}); otherwise the served
   * variable whose name sorts first.
   *
   * @return the optimizer variables placed, name to device, in name order
   */
  public static Map<String, String> colocate(Graph graph, Set<String> before, List<Output<?>> served) {
    Map<String, String> primaryDevices = new TreeMap<>();
    for (Output<?> v : served) {
      String device = ((GraphOperation) v.op()).device();
      if (device != null && !device.isEmpty()) {
        primaryDevices.put(v.op().name(), device);
      }
    }
    Map<String, String> placed = new TreeMap<>();
    if (primaryDevices.isEmpty()) {
      return placed;
    }
    // longest names first, so "w-1" wins over "w" for the slot "w-1-m"
    List<String> byLength = new ArrayList<>(primaryDevices.keySet());
    byLength.sort(Comparator.comparingInt(String::length).reversed());
    String firstDevice = primaryDevices.values().iterator().next();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (before.contains(op.name()) || !VARIABLE_TYPES.contains(op.type()) || !op.device().isEmpty()) {
        continue;
      }
      String device = firstDevice;
      for (String primary : byLength) {
        if (op.name().startsWith(primary + "-")) {
          device = primaryDevices.get(primary);
          break;
        }
      }
      RequestedDevices.set(op, device);
      placed.put(op.name(), device);
    }
    return placed;
  }
}

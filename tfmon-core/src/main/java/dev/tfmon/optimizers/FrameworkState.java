package dev.tfmon.optimizers;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.NoOp;
import org.tensorflow.types.family.TType;

/**
 * What the ordered optimizers share: finding the state variable a tensorflow-framework optimizer
 * has just created (its fields are private), and the training op that waits for the variable
 * updates and then for the state updates.
 */
final class FrameworkState {
  private FrameworkState() {}

  /**
   * The {@code VariableV2} named {@code name}, or {@code name_<n>} when TF Java had to make the name
   * unique, that was created last: the one the optimizer's {@code createSlots} just made.
   *
   * @throws IllegalStateException naming the optimizer and the variable if there is none (another
   *     tensorflow-framework version than 1.1.0 may name it otherwise)
   */
  @SuppressWarnings("unchecked")
  static <T extends TType> Output<T> createdVariable(Graph graph, String optimizer, String name) {
    Pattern unique = Pattern.compile(Pattern.quote(name) + "(_\\d+)?");
    GraphOperation found = null;
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals("VariableV2") && unique.matcher(op.name()).matches()) {
        found = op;   // operations come in creation order: keep the newest
      }
    }
    if (found == null) {
      throw new IllegalStateException("tensorflow-framework's " + optimizer + " created no variable '" + name
          + "' (tfmon's ordered optimizers are written against tensorflow-framework 1.1.0)");
    }
    return (Output<T>) found.output(0);
  }

  /**
   * The training op {@code name}: a no-op that runs after {@code updates} and after the state
   * updates {@code stateUpdates} builds, which themselves wait for every one of {@code updates}, so
   * no update reads state that this run has already advanced.
   */
  static Op finishAfter(Ops tf, List<Op> updates, String name, java.util.function.Function<Ops, List<Op>> stateUpdates) {
    List<Op> all = new ArrayList<>(updates);
    all.addAll(stateUpdates.apply(tf.withControlDependencies(updates)));
    return NoOp.create(tf.withName(name).withControlDependencies(all).scope());
  }
}

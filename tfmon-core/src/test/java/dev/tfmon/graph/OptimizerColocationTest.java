package dev.tfmon.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.optimizers.OrderedAdaGradDA;
import dev.tfmon.optimizers.OrderedAdam;
import dev.tfmon.optimizers.OrderedAdamax;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.testing.FrameworkOptimizers;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.framework.optimizers.Optimizers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The optimizer's own variables go where the variables they serve are (issue 14 item 1): slots
 * beside their variable, shared state beside the variable whose name sorts first, as TF 1.x's
 * slot creator and {@code _create_non_slot_variable} place them.
 */
class OptimizerColocationTest {
  private static final DeviceSpec PS0 = DeviceSpec.newBuilder().job("ps").task(0).build();
  private static final DeviceSpec PS1 = DeviceSpec.newBuilder().job("ps").task(1).build();

  /** y = 3x + 2 with w on {@code wDevice} and b on {@code bDevice} (null: no device). */
  private static Operand<TFloat32> regression(Graph g, DeviceSpec wDevice, DeviceSpec bDevice) {
    Ops tf = Ops.create(g);
    float[] xs = new float[32];
    float[] ys = new float[32];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = -1f + 2f * i / (xs.length - 1);
      ys[i] = 3f * xs[i] + 2f;
    }
    var w = (wDevice == null ? tf : tf.withDevice(wDevice)).withName("w").variable(tf.constant(new float[] {0f}));
    var b = (bDevice == null ? tf : tf.withDevice(bDevice)).withName("b").variable(tf.constant(new float[] {0f}));
    var prediction = tf.math.add(tf.math.mul(tf.constant(xs), w), b);
    return tf.withName("loss").math.mean(tf.math.square(tf.math.sub(prediction, tf.constant(ys))), tf.constant(0));
  }

  private static Map<String, String> variableDevices(Graph g) {
    Map<String, String> devices = new LinkedHashMap<>();
    for (Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals("VariableV2")) {
        devices.put(op.name(), op.device());
      }
    }
    return devices;
  }

  // issue 14 item 1
  @ParameterizedTest
  @EnumSource(Optimizers.class)
  void everyOptimizerVariableLandsBesideTheVariableItServes(Optimizers kind) {
    try (Graph g = new Graph()) {
      GlobalStep.create(g, PS0);
      Operand<TFloat32> loss = regression(g, PS1, PS0);
      TrainOps.minimize(FrameworkOptimizers.create(kind, g), loss, "train_op");

      Map<String, String> devices = variableDevices(g);
      devices.forEach(
          (name, device) -> {
            // slots "w-..." beside w; shared state beside b, the variable whose name sorts first
            String expected = name.startsWith("w") ? "/job:ps/task:1" : "/job:ps/task:0";
            assertThat(device).as("device of %s (%s)", name, kind).isEqualTo(expected);
          });
      if (kind == Optimizers.ADAM) {
        assertThat(devices).containsKeys("beta1_power", "beta2_power", "w-m", "w-v", "b-m", "b-v");
      }
    }
  }

  /** tfmon's ordered optimizers (dev.tfmon.optimizers), by name. */
  private static Optimizer ordered(String kind, Graph g) {
    return switch (kind) {
      case "OrderedAdam" -> new OrderedAdam(g, 0.1f);
      case "OrderedAdamax" -> new OrderedAdamax(g, 0.1f);
      case "OrderedAdaGradDA" -> new OrderedAdaGradDA(g, 0.5f, 0.1f, 0.001f, 0.001f);
      default -> throw new IllegalArgumentException(kind);
    };
  }

  // issue 17 seed / issue 14 item 1: the state the ordered optimizers create (the framework's
  // variables, found by them afterwards) is placed as the framework optimizers' is
  @ParameterizedTest
  @ValueSource(strings = {"OrderedAdam", "OrderedAdamax", "OrderedAdaGradDA"})
  void theOrderedOptimizersStateLandsBesideTheVariablesItServes(String kind) {
    try (Graph g = new Graph()) {
      GlobalStep.create(g, PS0);
      Operand<TFloat32> loss = regression(g, PS1, PS0);
      TrainOps.minimize(ordered(kind, g), loss, "train_op");
      Map<String, String> devices = variableDevices(g);
      devices.forEach((name, device) -> assertThat(device).as("device of %s (%s)", name, kind)
          .isEqualTo(name.startsWith("w") ? "/job:ps/task:1" : "/job:ps/task:0"));
      assertThat(devices).containsKey(kind.equals("OrderedAdaGradDA") ? "adagrad-da-global-step" : "beta1_power");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"OrderedAdam", "OrderedAdamax", "OrderedAdaGradDA"})
  void placedOrderedOptimizersTrainInOneProcess(String kind) {
    assertTrainsWithItsVariablesPlacedOnTheCpu(kind, g -> ordered(kind, g));
  }

  @Test
  void variablesWithoutADeviceLeaveTheOptimizersWithoutOne() {
    try (Graph g = new Graph()) {
      Operand<TFloat32> loss = regression(g, null, null);
      TrainOps.minimize(new Adam(g, 0.1f), loss, "train_op");
      assertThat(variableDevices(g)).containsKeys("beta1_power", "w-m").allSatisfy((name, device) -> assertThat(device).isEmpty());
    }
  }

  // issue 14 item 1: the devices set after the ops were built are the ones the runtime uses
  @ParameterizedTest
  @EnumSource(Optimizers.class)
  void placedOptimizersTrainInOneProcess(Optimizers kind) {
    assertTrainsWithItsVariablesPlacedOnTheCpu(kind.toString(), g -> FrameworkOptimizers.create(kind, g));
  }

  /** 60 steps with the variables pinned to /device:CPU:0 halve the loss. */
  private static void assertTrainsWithItsVariablesPlacedOnTheCpu(String what, Function<Graph, Optimizer> optimizer) {
    DeviceSpec cpu = DeviceSpec.newBuilder().deviceType(DeviceSpec.DeviceType.CPU).deviceIndex(0).build();
    try (Graph g = new Graph()) {
      Operand<TFloat32> loss = regression(g, cpu, cpu);
      Operation train = TrainOps.minimize(optimizer.apply(g), loss, "train_op");
      assertThat(variableDevices(g).values()).allMatch(d -> d.isEmpty() || d.equals("/device:CPU:0"));
      try (NativeSession session = NativeSession.open(g)) {
        session.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        float first = lossAfterStep(session, loss, train);
        float last = first;
        for (int i = 0; i < 60; i++) {
          last = lossAfterStep(session, loss, train);
        }
        assertThat(last).as("loss of %s after 60 steps (first %s)", what, first).isLessThan(first / 2);
      }
    }
  }

  private static float lossAfterStep(NativeSession session, Operand<TFloat32> loss, Operation train) {
    try (RunResult r = session.runner().fetch(loss).addTarget(train).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }
}

package dev.tfmon.runtime;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetRequestedDevice;

import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.TfmonBridge;

/**
 * Changes the device an operation asks for after it was built, as Python's {@code op._set_device}
 * does. TF Java fixes an op's device when it is built, but some ops are built by code that takes
 * no device (tensorflow-framework's optimizers create their slots and beta powers with none);
 * placement code sets theirs afterwards.
 *
 * <pre>{@code
 * RequestedDevices.set(graph.operation("beta1_power"), "/job:ps/task:0");
 * }</pre>
 *
 * <p>Set devices before any session runs the op: TensorFlow refuses to run a graph whose ops
 * changed after a session used them.
 */
public final class RequestedDevices {
  private RequestedDevices() {}

  /**
   * Makes {@code op} ask for {@code device} (a device name such as {@code /job:ps/task:1}; empty
   * for none).
   *
   * @throws IllegalArgumentException if {@code device} is null
   */
  public static void set(GraphOperation op, String device) {
    if (device == null) {
      throw new IllegalArgumentException("expected a device name for " + op.name() + ", but got null");
    }
    Graph graph = op.env();
    try (TfmonBridge.GraphLease lease = TfmonBridge.leaseGraph(graph)) {
      TF_SetRequestedDevice(lease.handle(), TfmonBridge.operationHandle(op), device);
    }
  }
}

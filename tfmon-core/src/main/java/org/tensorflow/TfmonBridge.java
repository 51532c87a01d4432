package org.tensorflow;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.internal.c_api.TF_Graph;
import org.tensorflow.internal.c_api.TF_Operation;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_Tensor;

/**
 * tfmon's only class in package {@code org.tensorflow}: it reaches the few members that TF Java
 * keeps package-private and that a session layer needs (native handles of graphs, operations and
 * tensors, the graph's initializer list, and the {@link Session} constructor that wraps an existing
 * native session). Everything else about sessions lives in {@code dev.tfmon.runtime}.
 *
 * <p>Not for application code: use {@code dev.tfmon.runtime.NativeSession}.
 */
public final class TfmonBridge {
  private TfmonBridge() {}

  /**
   * Keeps a {@link Graph} from being closed while its native handle is in use, as TF Java's own
   * {@link Session} does for the graph it runs.
   */
  public static final class GraphLease implements AutoCloseable {
    private final Graph.Reference reference;

    private GraphLease(Graph graph) {
      this.reference = graph.ref();
    }

    /** The graph's native handle, or null once this lease is closed. */
    public TF_Graph handle() {
      return reference.nativeHandle();
    }

    @Override
    public void close() {
      reference.close();
    }
  }

  /**
   * Leases {@code graph}'s native handle.
   *
   * @throws IllegalStateException if the graph is closed
   */
  public static GraphLease leaseGraph(Graph graph) {
    return new GraphLease(graph);
  }

  /** The native handle of a graph operation (valid while its graph is open). */
  public static TF_Operation operationHandle(Operation operation) {
    if (!(operation instanceof GraphOperation)) {
      throw new IllegalArgumentException(
          "expected an operation of a Graph, but got " + operation + " of an eager session");
    }
    return ((GraphOperation) operation).getUnsafeNativeHandle();
  }

  /** The native handle of a tensor (owned by the tensor). */
  public static TF_Tensor tensorHandle(Tensor tensor) {
    return tensor.asRawTensor().nativeHandle();
  }

  /**
   * Wraps a native tensor returned by {@code TF_SessionRun} into a typed Java tensor that owns it:
   * closing the Java tensor frees the native one.
   */
  public static Tensor adoptTensor(TF_Tensor handle) {
    return RawTensor.fromHandle(handle.withDeallocator()).asTypedTensor();
  }

  /**
   * The initializer operations TF Java registered on {@code graph} (variable initial assignments
   * made in the init scope), in registration order.
   */
  public static List<Operation> initializers(Graph graph) {
    synchronized (graph.initializers()) {
      return new ArrayList<>(graph.initializers());
    }
  }

  /**
   * A TF Java {@link Session} that runs on {@code nativeSession}. The view holds its own reference
   * to the native session, so closing the view and closing the owner are independent: the native
   * session is deleted when both are closed. The view never runs initializers by itself.
   */
  public static Session sessionView(Graph graph, TF_Session nativeSession) {
    nativeSession.retainReference();
    Session view = new Session(graph, nativeSession);
    view.markAllInitializersAsRan();
    return view;
  }
}

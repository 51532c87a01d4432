package dev.tfmon.runtime;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_AllocateTensor;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_CloseSession;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteTensor;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_Dim;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_GetCode;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_Message;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_NumDims;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SessionRun;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetConfig;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetTarget;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_TensorByteSize;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_TensorData;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_TensorMaybeMove;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_TensorType;

import dev.tfmon.errors.StatusCode;
import dev.tfmon.errors.TensorFlowStatusException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.TfmonBridge;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.TF_Tensor;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * tfmon's handle on a TensorFlow session, built directly on the C API so that it can do what TF
 * Java's {@link Session} cannot: connect to a {@code grpc://host:port} target, and report every
 * failure with TensorFlow's exact status code as a typed exception ({@link
 * dev.tfmon.errors.AbortedException}, {@link dev.tfmon.errors.UnavailableException}, ...).
 *
 * <p>It never runs initializers by itself: initializing or restoring is the caller's decision.
 *
 * <pre>{@code
 * try (NativeSession session = NativeSession.open(graph, "grpc://127.0.0.1:2222", null)) {
 *   session.runner().addTargets(NativeSession.graphInitializers(graph)).runTargets();
 *   try (RunResult r = session.runner().feed(x, batch).fetch(loss).addTarget(train).run()) {
 *     float value = r.getFloat(loss);
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safe: runs may be issued concurrently from several threads. {@link #close()} is
 * idempotent and waits for the runs in flight to finish.
 */
public final class NativeSession implements RunnableSession, AutoCloseable {
  private final Graph graph;
  private final String target;
  private final TfmonBridge.GraphLease graphLease;
  private final Object lock = new Object();
  private TF_Session handle;
  private int runsInFlight;
  private boolean closed;
  private boolean cancelling;
  private Session view;
  private final RunnableSession runOnly = new RunOnly(this);
  /** Native argument arrays of recent run signatures, for reuse (see {@link RunFrame}). */
  private final List<RunFrame> idleFrames = new ArrayList<>();

  /**
   * How many run signatures keep their frames: a training loop has a few (the step, a hook's
   * occasional extra fetch, the global step read); more would only hold native memory.
   */
  private static final int MAX_IDLE_FRAMES = 4;

  private NativeSession(Graph graph, String target, ConfigProto config) {
    this.graph = graph;
    this.target = target;
    this.graphLease = TfmonBridge.leaseGraph(graph);
    try {
      this.handle = allocate(graphLease, target, config);
    } catch (RuntimeException e) {
      graphLease.close();
      throw e;
    }
  }

  /** Opens an in-process session on {@code graph} with the default configuration. */
  public static NativeSession open(Graph graph) {
    return open(graph, "", null);
  }

  /**
   * Opens a session on {@code graph}.
   *
   * @param target {@code ""} for an in-process session, or {@code grpc://host:port} for a task of a
   *     TensorFlow cluster
   * @param config session configuration, or null for TensorFlow's defaults
   * @throws IllegalStateException if the graph is closed
   * @throws TensorFlowStatusException if TensorFlow refuses the configuration or the target
   */
  public static NativeSession open(Graph graph, String target, ConfigProto config) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(target, "target (use \"\" for an in-process session)");
    if (!target.isEmpty() && !target.contains("://")) {
      throw new IllegalArgumentException(
          "expected a session target of the form grpc://host:port (or \"\" for in-process), but got '"
              + target
              + "'");
    }
    return new NativeSession(graph, target, config);
  }

  private static TF_Session allocate(
      TfmonBridge.GraphLease lease, String target, ConfigProto config) {
    try (PointerScope scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      TF_SessionOptions options = TF_SessionOptions.newSessionOptions();
      if (!target.isEmpty()) {
        TF_SetTarget(options, target);
      }
      if (config != null) {
        BytePointer bytes = new BytePointer(config.toByteArray());
        TF_SetConfig(options, bytes, bytes.capacity(), status);
        throwIfNotOk(status, "configuring a session");
      }
      TF_Session session = TF_Session.newSession(lease.handle(), options, status);
      throwIfNotOk(status, "creating a session on target '" + target + "'");
      return session.retainReference();
    }
  }

  /** The graph this session runs. */
  @Override
  public Graph graph() {
    return graph;
  }

  /** The target this session was opened on ({@code ""} for in-process). */
  @Override
  public String target() {
    return target;
  }

  /** A new builder for one run. */
  @Override
  public Runner runner() {
    return new Runner(this);
  }

  /**
   * This session as a {@link RunnableSession} that can run and read the graph but neither close the
   * session nor be cast back to it: what the session layers give hooks. Always the same object.
   */
  public RunnableSession runOnly() {
    return runOnly;
  }

  /** A view that forwards only what a borrower may do. */
  private static final class RunOnly implements RunnableSession {
    private final NativeSession session;

    RunOnly(NativeSession session) {
      this.session = session;
    }

    @Override
    public Graph graph() {
      return session.graph;
    }

    @Override
    public String target() {
      return session.target;
    }

    @Override
    public Runner runner() {
      return session.runner();
    }

    @Override
    public String toString() {
      return "RunnableSession[target='" + session.target + "']";
    }
  }

  /** True once {@link #close()} was called. */
  public boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /**
   * A TF Java {@link Session} running on the same native session, for code written against TF
   * Java's API. It never initializes variables by itself, and its failures are TF Java's (codes such
   * as ABORTED are lost there: use {@link #runner()} where the code matters). The view is owned by
   * this session and closed with it.
   *
   * @throws IllegalStateException if this session is closed
   */
  public Session asSession() {
    synchronized (lock) {
      requireOpen();
      if (view == null) {
        view = TfmonBridge.sessionView(graph, handle);
      }
      return view;
    }
  }

  /**
   * The initializer operations that TF Java registered on {@code graph} (for example the initial
   * assignments of variables created with {@code tf.variable(init)}), in creation order. TF Java
   * keeps this list package-private.
   */
  public static List<Operation> graphInitializers(Graph graph) {
    return TfmonBridge.initializers(graph);
  }

  /**
   * Closes the session after the runs in flight have finished, releasing its native memory. Later
   * calls do nothing.
   */
  @Override
  public void close() {
    TF_Session toRelease;
    Session viewToClose;
    List<RunFrame> framesToFree;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      boolean interrupted = false;
      while (runsInFlight > 0) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      toRelease = handle;
      handle = null;
      viewToClose = view;
      view = null;
      framesToFree = new ArrayList<>(idleFrames);
      idleFrames.clear();
    }
    try {
      framesToFree.forEach(RunFrame::close);
      if (viewToClose != null) {
        viewToClose.close();
      }
      toRelease.releaseReference();
    } finally {
      graphLease.close();
    }
  }

  /**
   * Cancels the runs in flight, then {@link #close()}s: TensorFlow's own session close runs first,
   * so a run blocked on a queue or a gradient accumulator ends with CANCELLED instead of holding
   * the close forever; the native memory is freed once those runs have returned. This is what TF
   * 1.x's {@code Session.close()} does, and what a monitored session does last, after its threads
   * had their grace period. Later calls, and calls after {@link #close()}, do nothing.
   */
  public void cancelAndClose() {
    synchronized (lock) {
      if (!closed && runsInFlight > 0) {
        // Under the lock, so that no concurrent close() frees the handle meanwhile; the runs this
        // cancels wait for the lock in endRun() and then let close() below finish.
        cancelling = true;
        try (PointerScope scope = new PointerScope()) {
          TF_Status status = TF_Status.newStatus();
          // A failure (a cluster task already gone) changes nothing: close() follows either way.
          TF_CloseSession(handle, status);
        }
      }
    }
    close();
  }

  /** The number of kept run frames (for tests). */
  int idleFrames() {
    synchronized (lock) {
      return idleFrames.size();
    }
  }

  /** The number of runs currently inside TensorFlow (for tests and diagnostics). */
  int runsInFlight() {
    synchronized (lock) {
      return runsInFlight;
    }
  }

  private void requireOpen() {
    if (closed || cancelling) {
      throw new IllegalStateException(
          "this session is closed"
              + (target.isEmpty() ? "" : " (target " + target + ")")
              + ": open a new one to run the graph again");
    }
  }

  /**
   * Starts a run: counts it in flight and hands it an idle frame of the same signature, if there is
   * one (else null: the caller allocates one).
   */
  private TF_Session beginRun(
      List<Output<?>> feeds, List<Output<?>> fetches, List<Operation> targets, RunFrame[] frame) {
    synchronized (lock) {
      requireOpen();
      runsInFlight++;
      for (int i = idleFrames.size() - 1; i >= 0; i--) {
        RunFrame f = idleFrames.get(i);
        if (f.matches(feeds, fetches, targets)) {
          frame[0] = idleFrames.remove(i);
          break;
        }
      }
      return handle;
    }
  }

  /**
   * Ends a run, keeping its frame for the next run of the same signature when the run succeeded (a
   * failed run's frame is freed: nothing of a failure is carried into later runs).
   */
  private void endRun(RunFrame frame, boolean keepFrame) {
    RunFrame evicted = null;
    synchronized (lock) {
      if (frame != null) {
        if (closed || !keepFrame) {
          evicted = frame;
        } else {
          idleFrames.add(frame);
          if (idleFrames.size() > MAX_IDLE_FRAMES) {
            evicted = idleFrames.remove(0);
          }
        }
      }
      if (--runsInFlight == 0) {
        lock.notifyAll();
      }
    }
    if (evicted != null) {
      evicted.close();
    }
  }

  RunResult execute(
      List<Output<?>> feeds,
      List<Tensor> feedValues,
      List<Output<?>> fetches,
      List<Operation> targets,
      RunOptions options,
      boolean wantMetadata) {
    int nFeeds = feeds.size();
    int nFetches = fetches.size();
    TF_Tensor[] fetched = null;
    RunMetadata metadata = null;
    RunFrame[] taken = new RunFrame[1];
    TF_Session session = beginRun(feeds, fetches, targets, taken);
    RunFrame frame = taken[0];
    TF_Buffer runMetadata = null;
    boolean succeeded = false;
    try {
      if (frame == null) {
        frame = RunFrame.allocate(feeds, fetches, targets);
      }
      PointerPointer<TF_Tensor> inputValues = frame.inputValues;
      for (int i = 0; i < nFeeds; i++) {
        inputValues.put(i, TfmonBridge.tensorHandle(feedValues.get(i)));
      }
      if (wantMetadata) {
        try (PointerScope scope = new PointerScope()) {
          runMetadata = TF_Buffer.newBuffer();
          runMetadata.retainReference();
        }
      }
      TF_SessionRun(
          session,
          frame.optionsBuffer(options),
          frame.inputs,
          inputValues,
          nFeeds,
          frame.outputs,
          frame.outputValues,
          nFetches,
          frame.targets,
          targets.size(),
          runMetadata,
          frame.status);
      throwIfNotOk(frame.status, null);

      fetched = new TF_Tensor[nFetches];
      for (int i = 0; i < nFetches; i++) {
        fetched[i] = unshared(frame.outputValues.get(TF_Tensor.class, i));
      }
      if (runMetadata != null) {
        // Without tracing TensorFlow may leave the buffer empty: that is an empty RunMetadata.
        metadata =
            runMetadata.length() == 0 || runMetadata.data() == null || runMetadata.data().isNull()
                ? RunMetadata.getDefaultInstance()
                : RunMetadata.parseFrom(runMetadata.copyData());
      }
      RunResult result = RunResult.ofNative(fetches, fetched, metadata);
      succeeded = true;
      return result;
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      deleteAll(fetched);
      throw new IllegalStateException("TensorFlow returned RunMetadata that does not parse", e);
    } catch (RuntimeException e) {
      deleteAll(fetched);
      throw e;
    } finally {
      if (runMetadata != null) {
        runMetadata.releaseReference();
      }
      endRun(frame, succeeded);
    }
  }

  private static void deleteAll(TF_Tensor[] tensors) {
    if (tensors != null) {
      for (TF_Tensor t : tensors) {
        if (t != null) {
          TF_DeleteTensor(t);
        }
      }
    }
  }

  /**
   * A fetched tensor may share its buffer with a variable (fetching a ref variable, or an Identity
   * of one): later runs that update the variable would then change a result the caller already
   * holds. Python TensorFlow copies such buffers when it converts results to numpy; this does the
   * same, so a result is a value, never a view. Tensors whose buffer is not shared are kept as is.
   */
  private static TF_Tensor unshared(TF_Tensor t) {
    int dtype = TF_TensorType(t);
    if (dtype == DT_STRING || dtype == DT_RESOURCE || dtype == DT_VARIANT
        || TF_TensorMaybeMove(t) != null) {
      return t;
    }
    int rank = TF_NumDims(t);
    long[] dims = new long[rank];
    for (int d = 0; d < rank; d++) {
      dims[d] = TF_Dim(t, d);
    }
    long bytes = TF_TensorByteSize(t);
    TF_Tensor copy = TF_AllocateTensor(dtype, dims, rank, bytes);
    if (bytes > 0) {
      Pointer.memcpy(TF_TensorData(copy), TF_TensorData(t), bytes);
    }
    TF_DeleteTensor(t);
    return copy;
  }

  private static final int DT_STRING = 7;
  private static final int DT_RESOURCE = 20;
  private static final int DT_VARIANT = 21;

  /**
   * Throws the typed exception for {@code status} when it is not OK.
   *
   * @param context what was being done, prefixed to TensorFlow's message, or null for none
   */
  static void throwIfNotOk(TF_Status status, String context) {
    int code = TF_GetCode(status);
    if (code == 0) {
      return;
    }
    String message = TF_Message(status).getString();
    if (context != null) {
      message = context + ": " + message;
    }
    throw TensorFlowStatusException.of(StatusCode.fromValue(code), message);
  }
}

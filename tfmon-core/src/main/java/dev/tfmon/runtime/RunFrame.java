package dev.tfmon.runtime;

import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.TfmonBridge;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.TF_Operation;
import org.tensorflow.internal.c_api.TF_Output;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.TF_Tensor;
import org.tensorflow.proto.RunOptions;

/**
 * The native argument arrays of one run signature (which outputs are fed, which are fetched, which
 * operations are targets), kept by {@link NativeSession} and reused by later runs with the same
 * signature.
 *
 * <p>Why: every JavaCPP pointer that owns native memory registers a deallocator, and JavaCPP then
 * reads {@code /proc/self/statm} under a global lock to watch the process's memory. A run used to
 * allocate six such pointers (two output specs, three pointer arrays, a status), which cost about a
 * quarter of a small training step's time on the calling thread (docs/BENCHMARKS.md, issue 16).
 * A frame allocates them once.
 *
 * <p>Not thread-safe: the session hands a frame to one run at a time. The pointers are allocated
 * in a scope of their own and retained, so that a caller's enclosing {@link PointerScope} cannot
 * free them when it closes.
 */
final class RunFrame implements AutoCloseable {
  private final long[] feedOps;
  private final int[] feedIndices;
  private final long[] fetchOps;
  private final int[] fetchIndices;
  private final long[] targetOps;

  final TF_Output inputs;
  final PointerPointer<TF_Tensor> inputValues;
  final TF_Output outputs;
  final PointerPointer<TF_Tensor> outputValues;
  final PointerPointer<TF_Operation> targets;
  final TF_Status status;
  private final Pointer[] owned;

  private RunOptions options;
  private TF_Buffer optionsBuffer;
  private boolean closed;

  private RunFrame(List<Output<?>> feeds, List<Output<?>> fetches, List<Operation> targetList) {
    int nFeeds = feeds.size();
    int nFetches = fetches.size();
    int nTargets = targetList.size();
    // Handles first: an operation of no graph fails here, before any native memory is taken.
    TF_Operation[] feedHandles = handles(feeds);
    TF_Operation[] fetchHandles = handles(fetches);
    TF_Operation[] targetHandles = new TF_Operation[nTargets];
    for (int i = 0; i < nTargets; i++) {
      targetHandles[i] = TfmonBridge.operationHandle(targetList.get(i));
    }
    this.feedOps = addresses(feedHandles);
    this.feedIndices = indices(feeds);
    this.fetchOps = addresses(fetchHandles);
    this.fetchIndices = indices(fetches);
    this.targetOps = addresses(targetHandles);
    try (PointerScope scope = new PointerScope()) {
      inputs = new TF_Output(Math.max(1, nFeeds));
      inputValues = new PointerPointer<>(Math.max(1, nFeeds));
      outputs = new TF_Output(Math.max(1, nFetches));
      outputValues = new PointerPointer<>(Math.max(1, nFetches));
      targets = new PointerPointer<>(Math.max(1, nTargets));
      status = TF_Status.newStatus();
      owned = new Pointer[] {inputs, inputValues, outputs, outputValues, targets, status};
      for (Pointer p : owned) {
        p.retainReference();
      }
    }
    for (int i = 0; i < nFeeds; i++) {
      inputs.position(i).oper(feedHandles[i]).index(feedIndices[i]);
    }
    inputs.position(0);
    for (int i = 0; i < nFetches; i++) {
      outputs.position(i).oper(fetchHandles[i]).index(fetchIndices[i]);
    }
    outputs.position(0);
    for (int i = 0; i < nTargets; i++) {
      targets.put(i, targetHandles[i]);
    }
  }

  private static TF_Operation[] handles(List<Output<?>> outputList) {
    TF_Operation[] handles = new TF_Operation[outputList.size()];
    for (int i = 0; i < handles.length; i++) {
      handles[i] = TfmonBridge.operationHandle(outputList.get(i).op());
    }
    return handles;
  }

  private static long[] addresses(TF_Operation[] handles) {
    long[] addresses = new long[handles.length];
    for (int i = 0; i < handles.length; i++) {
      addresses[i] = handles[i].address();
    }
    return addresses;
  }

  private static int[] indices(List<Output<?>> outputList) {
    int[] indices = new int[outputList.size()];
    for (int i = 0; i < indices.length; i++) {
      indices[i] = outputList.get(i).index();
    }
    return indices;
  }

  /** A new frame for this signature. */
  static RunFrame allocate(List<Output<?>> feeds, List<Output<?>> fetches, List<Operation> targets) {
    return new RunFrame(feeds, fetches, targets);
  }

  /** True if this frame was made for exactly these feeds, fetches and targets, in this order. */
  boolean matches(List<Output<?>> feeds, List<Output<?>> fetches, List<Operation> targetList) {
    return sameOutputs(feeds, feedOps, feedIndices)
        && sameOutputs(fetches, fetchOps, fetchIndices)
        && sameOperations(targetList);
  }

  private static boolean sameOutputs(List<Output<?>> outputs, long[] ops, int[] indices) {
    if (outputs.size() != ops.length) {
      return false;
    }
    for (int i = 0; i < ops.length; i++) {
      Output<?> o = outputs.get(i);
      if (o.index() != indices[i]
          || TfmonBridge.operationHandle(o.op()).address() != ops[i]) {
        return false;
      }
    }
    return true;
  }

  private boolean sameOperations(List<Operation> ops) {
    if (ops.size() != targetOps.length) {
      return false;
    }
    for (int i = 0; i < targetOps.length; i++) {
      if (TfmonBridge.operationHandle(ops.get(i)).address() != targetOps[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The serialized {@code options}, or null for none. The buffer of the last options is kept: a
   * caller that passes the same options object every run serializes it once.
   */
  TF_Buffer optionsBuffer(RunOptions runOptions) {
    if (runOptions == null) {
      return null;
    }
    if (runOptions != options) {
      releaseOptions();
      try (PointerScope scope = new PointerScope()) {
        // null for options that serialize to nothing (the defaults): the same as no options
        optionsBuffer = TF_Buffer.newBufferFromString(runOptions);
        if (optionsBuffer != null) {
          optionsBuffer.retainReference();
        }
      }
      options = runOptions;
    }
    return optionsBuffer;
  }

  private void releaseOptions() {
    if (optionsBuffer != null) {
      optionsBuffer.releaseReference();
    }
    optionsBuffer = null;
    options = null;
  }

  /** Frees the native arrays. Later calls do nothing. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    releaseOptions();
    for (Pointer p : owned) {
      p.releaseReference();
    }
  }
}

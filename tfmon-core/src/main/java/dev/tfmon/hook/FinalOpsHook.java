package dev.tfmon.hook;

import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Evaluates some tensors once when the session ends cleanly and keeps their values (TensorFlow
 * 1.x's {@code FinalOpsHook}), e.g. final metrics of an evaluation loop.
 *
 * <pre>{@code
 * FinalOpsHook finalAccuracy = new FinalOpsHook(List.of(accuracy), Map.of());
 * // ... after the session closed:
 * float acc = ((FloatNdArray) finalAccuracy.finalOpsValues().get(0)).getFloat();
 * }</pre>
 *
 * <p>The values are heap copies (no native memory to free). The feed tensors stay owned by the
 * caller.
 */
public final class FinalOpsHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(FinalOpsHook.class);

  /** How to allocate a heap array for each tensor type a final value may have. */
  private static final Map<Class<?>, Function<Shape, NdArray<?>>> HEAP_ARRAYS =
      Map.of(
          TFloat32.class, NdArrays::ofFloats,
          TFloat64.class, NdArrays::ofDoubles,
          TInt32.class, NdArrays::ofInts,
          TInt64.class, NdArrays::ofLongs,
          TBool.class, NdArrays::ofBooleans,
          TUint8.class, NdArrays::ofBytes,
          TString.class, shape -> NdArrays.ofObjects(String.class, shape));

  private final List<Output<?>> finalOps;
  private final Map<Output<?>, Tensor> feeds;
  private volatile List<NdArray<?>> values;

  public FinalOpsHook(List<? extends Operand<?>> finalOps, Map<? extends Operand<?>, ? extends Tensor> feeds) {
    this.finalOps = new ArrayList<>();
    finalOps.forEach(o -> this.finalOps.add(o.asOutput()));
    this.feeds = new LinkedHashMap<>();
    feeds.forEach((k, v) -> this.feeds.put(k.asOutput(), Objects.requireNonNull(v, "feed value")));
  }

  /** Evaluates one tensor at the end. */
  public FinalOpsHook(Operand<?> finalOp) {
    this(List.of(finalOp), Map.of());
  }

  /** The final values, one per op in order; null until {@code end}. */
  public List<NdArray<?>> finalOpsValues() {
    return values;
  }

  @Override
  public void end(RunnableSession session) {
    if (finalOps.isEmpty()) {
      return;
    }
    // TensorFlow's C API rejects a tensor that is both fed and fetched ("is both fed and
    // fetched"); Python's session answers such a fetch with the fed value, and so does this hook.
    SessionRunArgs.Builder b = SessionRunArgs.builder();
    List<Output<?>> toRun = new ArrayList<>();
    for (Output<?> op : finalOps) {
      if (fedValue(op) == null) {
        toRun.add(op);
        b.fetch(op);
      }
    }
    feeds.forEach(b::feed);
    // With every final op fed there is nothing to run (the C API refuses an empty run).
    try (RunResult r = toRun.isEmpty() ? null : b.build().applyTo(session.runner()).run()) {
      List<NdArray<?>> copies = new ArrayList<>();
      int next = 0;
      for (Output<?> op : finalOps) {
        Tensor fed = fedValue(op);
        copies.add(heapCopy(fed != null ? fed : r.get(next++)));
      }
      values = List.copyOf(copies);
    } catch (OutOfRangeException e) {
      // The usual cause: the loop ended because its input ran out, and a final op reads that input.
      LOG.warn(
          "the final ops {} could not be evaluated: they reached the end of an input (OUT_OF_RANGE)."
              + " They probably read from the input source that ended the loop, which is now"
              + " exhausted; compute final values from variables (e.g. a streaming metric's value)"
              + " rather than from the input. TensorFlow said: {}",
          names(),
          e.firstLine());
      throw e;
    }
  }

  private List<String> names() {
    List<String> names = new ArrayList<>();
    finalOps.forEach(o -> names.add(GraphNames.tensorName(o)));
    return names;
  }

  private Tensor fedValue(Output<?> op) {
    for (Map.Entry<Output<?>, Tensor> feed : feeds.entrySet()) {
      if (feed.getKey().index() == op.index() && feed.getKey().op().equals(op.op())) {
        return feed.getValue();
      }
    }
    return null;
  }

  /** A heap copy of {@code t} (bool, uint8, int32, int64, float, double and string tensors). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static NdArray<?> heapCopy(Tensor t) {
    for (Map.Entry<Class<?>, Function<Shape, NdArray<?>>> e : HEAP_ARRAYS.entrySet()) {
      if (e.getKey().isInstance(t)) {
        NdArray dst = e.getValue().apply(t.shape());
        ((NdArray) t).copyTo(dst);
        return dst;
      }
    }
    throw new IllegalArgumentException(
        "FinalOpsHook cannot copy a tensor of type " + t.dataType() + "; fetch a cast of it instead");
  }
}

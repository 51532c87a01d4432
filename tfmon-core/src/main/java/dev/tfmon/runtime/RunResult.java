package dev.tfmon.runtime;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteTensor;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_NumDims;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_TensorData;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_TensorType;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.TfmonBridge;
import org.tensorflow.internal.c_api.TF_Tensor;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.types.family.TType;

/**
 * The tensors fetched by one run, in the order they were fetched, plus the run's metadata when it
 * was asked for. The result owns its tensors: closing it frees them all (copy out what you keep, or
 * {@link #take(int) take} a tensor to own it yourself).
 *
 * <p>Read a value by the operand that was fetched: {@link #get(Operand)} gives the tensor with the
 * operand's type, {@link #getFloat}, {@link #getDouble}, {@link #getInt} and {@link #getLong} the
 * number in a scalar (see {@link Scalars} for what each accepts).
 *
 * <pre>{@code
 * try (RunResult r = session.runner().fetch(loss).fetch(step).addTarget(train).run()) {
 *   float lossValue = r.getFloat(loss);
 *   long stepValue = r.getLong(step);
 *   TFloat32 logits = r.get(logitsOperand);   // typed, still owned by r
 * }
 * }</pre>
 */
public final class RunResult implements AutoCloseable {
  private List<String> names;
  private final List<? extends Operand<?>> fetched;
  private final List<Tensor> tensors;
  /**
   * Native tensors not wrapped yet (null when there are none): slot i is wrapped into a TF Java
   * tensor the first time it is asked for as a tensor, and a scalar read from it needs no wrapping.
   * Wrapping registers a JavaCPP deallocator, whose memory check reads {@code /proc/self/statm}:
   * the step read by the default hooks in every run used to pay it (issue 16).
   */
  private TF_Tensor[] pending;
  /** The data pointers of pending scalars already read: several hooks read the same step. */
  private Pointer[] scalarData;
  private final RunMetadata metadata;
  private boolean closed;

  /**
   * A result that takes ownership of {@code tensors}.
   *
   * @param names one name for each tensor (the fetched output's {@code "op:index"} name)
   */
  public RunResult(List<String> names, List<Tensor> tensors, RunMetadata metadata) {
    if (names.size() != tensors.size()) {
      throw new IllegalArgumentException(
          "expected one name per tensor, but got "
              + names.size()
              + " names for "
              + tensors.size()
              + " tensors");
    }
    this.names = List.copyOf(names);
    this.fetched = null;
    this.tensors = new ArrayList<>(tensors);
    this.metadata = metadata;
  }

  /**
   * A result that takes ownership of {@code tensors}, one per fetched operand; the names are
   * computed only when asked for (reading an operation's name crosses into native code).
   */
  public static RunResult ofFetches(
      List<? extends Operand<?>> fetched, List<Tensor> tensors, RunMetadata metadata) {
    return new RunResult(fetched, tensors, metadata, true);
  }

  /** A result owning the native tensors a run returned, wrapped only when asked for. */
  static RunResult ofNative(
      List<? extends Operand<?>> fetched, TF_Tensor[] handles, RunMetadata metadata) {
    RunResult r = new RunResult(fetched, java.util.Arrays.asList(new Tensor[handles.length]), metadata, true);
    r.pending = handles;
    return r;
  }

  private RunResult(
      List<? extends Operand<?>> fetched, List<Tensor> tensors, RunMetadata metadata, boolean lazy) {
    if (fetched.size() != tensors.size()) {
      throw new IllegalArgumentException(
          "expected one tensor per fetch, but got "
              + tensors.size()
              + " tensors for "
              + fetched.size()
              + " fetches");
    }
    this.fetched = fetched;
    this.tensors = new ArrayList<>(tensors);
    this.metadata = metadata;
  }

  /** The number of fetched tensors. */
  public int size() {
    return tensors.size();
  }

  /** The fetch names ({@code "op:index"}), in fetch order. */
  public List<String> names() {
    if (names == null) {
      List<String> computed = new ArrayList<>(fetched.size());
      fetched.forEach(f -> computed.add(GraphNames.tensorName(f)));
      names = List.copyOf(computed);
    }
    return names;
  }

  /**
   * The tensor of fetch number {@code index}, still owned by this result.
   *
   * @throws IllegalStateException if this result is closed or the tensor was taken
   */
  public Tensor get(int index) {
    requireOpen();
    Objects.checkIndex(index, tensors.size());
    Tensor t = tensorAt(index);
    if (t == null) {
      throw new IllegalStateException("tensor " + index + " (" + names().get(index) + ") was taken");
    }
    return t;
  }

  /**
   * The first fetched tensor with this name ({@code "op:index"}, or {@code "op"} for output 0).
   *
   * @throws IllegalArgumentException if nothing of that name was fetched
   */
  public Tensor get(String name) {
    return get(indexOf(name));
  }

  /**
   * The first fetched tensor of {@code operand}, typed as the operand is, still owned by this
   * result.
   *
   * @throws IllegalArgumentException naming the operand and the fetches, if it was not fetched
   */
  @SuppressWarnings("unchecked")
  public <T extends TType> T get(Operand<T> operand) {
    return (T) get(indexOf(operand));
  }

  /**
   * The value of {@code operand}, a float32 scalar.
   *
   * @throws IllegalArgumentException naming the tensor, its dtype and shape if it is not one, or if
   *     it was not fetched
   */
  public float getFloat(Operand<?> operand) {
    int i = indexOf(operand);
    return floatAt(i, () -> names().get(i));
  }

  /** The value of {@code operand}, a float64 or float32 scalar; errors as {@link #getFloat}. */
  public double getDouble(Operand<?> operand) {
    int i = indexOf(operand);
    return doubleAt(i, () -> names().get(i));
  }

  /** The value of {@code operand}, an int32 scalar; errors as {@link #getFloat}. */
  public int getInt(Operand<?> operand) {
    int i = indexOf(operand);
    return intAt(i, () -> names().get(i));
  }

  /**
   * The value of {@code operand}, an int64 or int32 scalar (such as the global step); errors as
   * {@link #getFloat}.
   */
  public long getLong(Operand<?> operand) {
    int i = indexOf(operand);
    return longAt(i, () -> names().get(i));
  }

  private float floatAt(int i, Supplier<String> name) {
    TF_Tensor h = pendingScalar(i);
    if (h != null && TF_TensorType(h) == DT_FLOAT) {
      return new FloatPointer(dataOf(i, h)).get();
    }
    return Scalars.floatOf(get(i), name);
  }

  private double doubleAt(int i, Supplier<String> name) {
    TF_Tensor h = pendingScalar(i);
    if (h != null && TF_TensorType(h) == DT_DOUBLE) {
      return new DoublePointer(dataOf(i, h)).get();
    }
    if (h != null && TF_TensorType(h) == DT_FLOAT) {
      return new FloatPointer(dataOf(i, h)).get();
    }
    return Scalars.doubleOf(get(i), name);
  }

  private int intAt(int i, Supplier<String> name) {
    TF_Tensor h = pendingScalar(i);
    if (h != null && TF_TensorType(h) == DT_INT32) {
      return new IntPointer(dataOf(i, h)).get();
    }
    return Scalars.intOf(get(i), name);
  }

  private long longAt(int i, Supplier<String> name) {
    TF_Tensor h = pendingScalar(i);
    if (h != null && TF_TensorType(h) == DT_INT64) {
      return new LongPointer(dataOf(i, h)).get();
    }
    if (h != null && TF_TensorType(h) == DT_INT32) {
      return new IntPointer(dataOf(i, h)).get();
    }
    return Scalars.longOf(get(i), name);
  }

  private Pointer dataOf(int i, TF_Tensor h) {
    if (scalarData == null) {
      scalarData = new Pointer[pending.length];
    }
    Pointer data = scalarData[i];
    if (data == null) {
      data = TF_TensorData(h);
      scalarData[i] = data;
    }
    return data;
  }

  /**
   * The unwrapped native tensor of slot {@code i} if it is a scalar (rank 0), else null: anything
   * else is read, or refused with Scalars' message, through the wrapped tensor.
   */
  private TF_Tensor pendingScalar(int i) {
    requireOpen();
    Objects.checkIndex(i, tensors.size());
    if (pending == null) {
      return null;
    }
    TF_Tensor h = pending[i];
    return h != null && TF_NumDims(h) == 0 ? h : null;
  }

  /** The tensor of slot {@code i}, wrapping it first if needed; null if it was taken. */
  private Tensor tensorAt(int i) {
    if (pending != null && pending[i] != null) {
      TF_Tensor h = pending[i];
      Tensor t;
      // A scope of our own: wrapping registers the handle with the innermost scope, which must
      // not be a caller's (it would hold the tensor's memory until that scope closes).
      try (PointerScope scope = new PointerScope()) {
        t = TfmonBridge.adoptTensor(h);
      }
      // The same native tensor may stand in several slots (a fetch repeated): one owner.
      for (int k = 0; k < pending.length; k++) {
        if (pending[k] == h) {
          pending[k] = null;
          tensors.set(k, t);
          if (scalarData != null) {
            scalarData[k] = null;
          }
        }
      }
    }
    return tensors.get(i);
  }

  /**
   * A read-only list of the tensors at {@code indices} of this result, in that order, still owned
   * by this result (what the session layers hand each hook). Its typed scalar reads, like this
   * result's, need no tensor object.
   */
  public View view(int[] indices) {
    int[] copy = indices.clone();
    for (int i : copy) {
      Objects.checkIndex(i, tensors.size());
    }
    return new View(copy);
  }

  /**
   * Moves the tensors at {@code indices} (one per operand of {@code fetchedOperands}, in order; an
   * index may repeat) into a new result, which owns them from then on: closing this result no
   * longer frees them.
   *
   * @param runMetadata the new result's metadata, or null
   * @throws IllegalStateException if a tensor there was taken or this result is closed
   */
  public RunResult moveOut(
      int[] indices, List<? extends Operand<?>> fetchedOperands, RunMetadata runMetadata) {
    requireOpen();
    if (indices.length != fetchedOperands.size()) {
      throw new IllegalArgumentException(
          "expected one index per fetch, but got " + indices.length + " indices for "
              + fetchedOperands.size() + " fetches");
    }
    TF_Tensor[] movedPending = new TF_Tensor[indices.length];
    Tensor[] moved = new Tensor[indices.length];
    boolean anyPending = false;
    for (int k = 0; k < indices.length; k++) {
      int i = indices[k];
      Objects.checkIndex(i, tensors.size());
      if (pending != null && pending[i] != null) {
        movedPending[k] = pending[i];
        anyPending = true;
      } else if (tensors.get(i) != null) {
        moved[k] = tensors.get(i);
      } else {
        throw new IllegalStateException("tensor " + i + " (" + names().get(i) + ") was taken");
      }
    }
    for (int i : indices) {
      if (pending != null) {
        pending[i] = null;
      }
      if (scalarData != null) {
        scalarData[i] = null;
      }
      tensors.set(i, null);
    }
    RunResult out = new RunResult(fetchedOperands, Arrays.asList(moved), runMetadata, true);
    out.pending = anyPending ? movedPending : null;
    return out;
  }

  /** Some of a result's tensors, by index; see {@link RunResult#view}. */
  public final class View extends AbstractList<Tensor> {
    private final int[] indices;

    private View(int[] indices) {
      this.indices = indices;
    }

    @Override
    public Tensor get(int index) {
      return RunResult.this.get(indices[index]);
    }

    @Override
    public int size() {
      return indices.length;
    }

    /** Element {@code index}, a float32 scalar; errors as {@link Scalars#floatOf}. */
    public float getFloat(int index, Supplier<String> name) {
      return floatAt(indices[index], name);
    }

    /** Element {@code index}, a float64 or float32 scalar; errors as {@link Scalars#doubleOf}. */
    public double getDouble(int index, Supplier<String> name) {
      return doubleAt(indices[index], name);
    }

    /** Element {@code index}, an int32 scalar; errors as {@link Scalars#intOf}. */
    public int getInt(int index, Supplier<String> name) {
      return intAt(indices[index], name);
    }

    /** Element {@code index}, an int64 or int32 scalar; errors as {@link Scalars#longOf}. */
    public long getLong(int index, Supplier<String> name) {
      return longAt(indices[index], name);
    }
  }

  /**
   * Removes tensor {@code index} from this result and hands its ownership to the caller, who must
   * close it.
   */
  public Tensor take(int index) {
    Tensor t = get(index);
    for (int k = 0; k < tensors.size(); k++) {
      if (tensors.get(k) == t) {
        // a repeated fetch holds the same tensor: none of its slots owns it any more
        tensors.set(k, null);
      }
    }
    return t;
  }

  /** The run's metadata, present when the run asked for it. */
  public Optional<RunMetadata> metadata() {
    return Optional.ofNullable(metadata);
  }

  /** The tensors still owned by this result, in fetch order (taken ones omitted). */
  public List<Tensor> tensors() {
    requireOpen();
    List<Tensor> present = new ArrayList<>(tensors.size());
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensorAt(i);
      if (t != null) {
        present.add(t);
      }
    }
    return Collections.unmodifiableList(present);
  }

  /** The index of the first fetch of {@code operand}; compares outputs, not names, when it can. */
  private int indexOf(Operand<?> operand) {
    if (fetched == null) {
      return indexOf(GraphNames.tensorName(operand));
    }
    Output<?> wanted = operand.asOutput();
    for (int i = 0; i < fetched.size(); i++) {
      Output<?> f = fetched.get(i).asOutput();
      if (f.index() == wanted.index() && f.op().equals(wanted.op())) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        "'" + GraphNames.tensorName(operand) + "' was not fetched; the fetches were " + names());
  }

  private int indexOf(String name) {
    String canonical = name.indexOf(':') < 0 ? name + ":0" : name;
    int i = names().indexOf(canonical);
    if (i < 0) {
      throw new IllegalArgumentException(
          "nothing named '" + name + "' was fetched; the fetches were " + names());
    }
    return i;
  }

  private static final int DT_FLOAT = 1;
  private static final int DT_DOUBLE = 2;
  private static final int DT_INT32 = 3;
  private static final int DT_INT64 = 9;

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this run result is closed and its tensors were freed");
    }
  }

  /** Frees every tensor still owned. Later calls do nothing. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    scalarData = null;
    if (pending != null) {
      for (int i = 0; i < pending.length; i++) {
        TF_Tensor h = pending[i];
        if (h != null) {
          for (int k = i; k < pending.length; k++) {
            if (pending[k] == h) {
              pending[k] = null;
            }
          }
          TF_DeleteTensor(h);
        }
      }
    }
    RuntimeException first = null;
    // The same tensor may stand twice (a fetch repeated); free it once. A run fetches a few
    // tensors, so looking back is cheaper than a set on every step.
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      if (t == null || standsEarlier(t, i)) {
        continue;
      }
      try {
        t.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    tensors.clear();
    if (first != null) {
      throw first;
    }
  }

  private boolean standsEarlier(Tensor t, int index) {
    for (int k = 0; k < index; k++) {
      if (tensors.get(k) == t) {
        return true;
      }
    }
    return false;
  }
}

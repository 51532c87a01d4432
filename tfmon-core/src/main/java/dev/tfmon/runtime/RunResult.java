package dev.tfmon.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
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
    Tensor t = tensors.get(index);
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
    return Scalars.floatOf(get(i), () -> names().get(i));
  }

  /** The value of {@code operand}, a float64 or float32 scalar; errors as {@link #getFloat}. */
  public double getDouble(Operand<?> operand) {
    int i = indexOf(operand);
    return Scalars.doubleOf(get(i), () -> names().get(i));
  }

  /** The value of {@code operand}, an int32 scalar; errors as {@link #getFloat}. */
  public int getInt(Operand<?> operand) {
    int i = indexOf(operand);
    return Scalars.intOf(get(i), () -> names().get(i));
  }

  /**
   * The value of {@code operand}, an int64 or int32 scalar (such as the global step); errors as
   * {@link #getFloat}.
   */
  public long getLong(Operand<?> operand) {
    int i = indexOf(operand);
    return Scalars.longOf(get(i), () -> names().get(i));
  }

  /**
   * Removes tensor {@code index} from this result and hands its ownership to the caller, who must
   * close it.
   */
  public Tensor take(int index) {
    Tensor t = get(index);
    tensors.set(index, null);
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
    for (Tensor t : tensors) {
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
    RuntimeException first = null;
    // The same tensor may stand twice (a fetch repeated); free it once.
    java.util.Set<Tensor> freed =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Tensor t : tensors) {
      if (t == null || !freed.add(t)) {
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
}

package dev.tfmon.hook;

import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.Scalars;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.family.TType;

/**
 * What a hook gets back in {@code afterRun}: the values of its own fetches (in the order it asked
 * for them), the options the run used (the caller's merged with every hook's) and the run's
 * metadata (null unless someone asked for it). The tensors belong to the session and are freed when
 * {@code afterRun} returns: copy out what you keep. Read them by operand: {@link #get(Operand)}
 * typed, or {@link #getFloat}, {@link #getDouble}, {@link #getInt}, {@link #getLong} for scalars.
 *
 * <pre>{@code
 * public void afterRun(SessionRunContext context, SessionRunValues values) {
 *   if (values.getLong(step) % 100 == 0) log(values.getFloat(loss));
 * }
 * }</pre>
 *
 * @param fetches what the hook fetched, in its order
 * @param results the fetched values, one per fetch
 * @param options the merged run options
 * @param runMetadata the run's metadata, or null
 */
public record SessionRunValues(
    List<Output<?>> fetches, List<Tensor> results, RunOptions options, RunMetadata runMetadata) {

  public SessionRunValues {
    fetches = List.copyOf(fetches);
    // A view of the run's result is already read-only, and copying it would wrap every tensor.
    results = results instanceof RunResult.View ? results : List.copyOf(results);
    if (fetches.size() != results.size()) {
      throw new IllegalArgumentException(
          "expected one result per fetch, but got " + fetches.size() + " and " + results.size());
    }
  }

  /** The fetched tensors' names ({@code "op:index"}), in order. */
  public List<String> names() {
    List<String> names = new java.util.ArrayList<>(fetches.size());
    fetches.forEach(f -> names.add(GraphNames.tensorName(f)));
    return names;
  }

  /** The value of this hook's fetch number {@code index}. */
  public Tensor get(int index) {
    return results.get(index);
  }

  /**
   * The value fetched for {@code operand}, typed as the operand is.
   *
   * @throws IllegalArgumentException if this hook did not fetch it
   */
  @SuppressWarnings("unchecked")
  public <T extends TType> T get(Operand<T> operand) {
    return (T) results.get(indexOf(operand));
  }

  /**
   * The value of {@code operand}, a float32 scalar.
   *
   * @throws IllegalArgumentException naming the tensor, its dtype and shape if it is not one, or if
   *     this hook did not fetch it
   */
  public float getFloat(Operand<?> operand) {
    int i = indexOf(operand);
    Supplier<String> name = () -> GraphNames.tensorName(fetches.get(i));
    return results instanceof RunResult.View v ? v.getFloat(i, name) : Scalars.floatOf(results.get(i), name);
  }

  /** The value of {@code operand}, a float64 or float32 scalar; errors as {@link #getFloat}. */
  public double getDouble(Operand<?> operand) {
    int i = indexOf(operand);
    Supplier<String> name = () -> GraphNames.tensorName(fetches.get(i));
    return results instanceof RunResult.View v ? v.getDouble(i, name) : Scalars.doubleOf(results.get(i), name);
  }

  /** The value of {@code operand}, an int32 scalar; errors as {@link #getFloat}. */
  public int getInt(Operand<?> operand) {
    int i = indexOf(operand);
    Supplier<String> name = () -> GraphNames.tensorName(fetches.get(i));
    return results instanceof RunResult.View v ? v.getInt(i, name) : Scalars.intOf(results.get(i), name);
  }

  /**
   * The value of {@code operand}, an int64 or int32 scalar (such as the global step); errors as
   * {@link #getFloat}.
   */
  public long getLong(Operand<?> operand) {
    int i = indexOf(operand);
    Supplier<String> name = () -> GraphNames.tensorName(fetches.get(i));
    return results instanceof RunResult.View v ? v.getLong(i, name) : Scalars.longOf(results.get(i), name);
  }

  private int indexOf(Operand<?> operand) {
    Output<?> wanted = operand.asOutput();
    for (int i = 0; i < fetches.size(); i++) {
      Output<?> f = fetches.get(i);
      if (f.index() == wanted.index() && f.op().equals(wanted.op())) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        "this hook did not fetch '" + GraphNames.tensorName(operand) + "'; it fetched " + names());
  }

  /** True when the hook fetched nothing. */
  public boolean isEmpty() {
    return results.isEmpty();
  }

  @Override
  public String toString() {
    return "SessionRunValues" + names() + (runMetadata == null ? "" : " with metadata");
  }

  /** Values for a hook that fetched nothing. */
  public static SessionRunValues empty(RunOptions options, RunMetadata runMetadata) {
    return new SessionRunValues(List.of(), List.of(), Objects.requireNonNull(options), runMetadata);
  }
}

package dev.tfmon.hook;

import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TString;

/**
 * Logs the values of tensors at INFO every N local iterations (its own runs, not the global step),
 * every N seconds, and/or at the end (TensorFlow 1.x's {@code LoggingTensorHook}). The default line
 * is {@code "tag = value, tag2 = value2 (0.123 sec)"}.
 *
 * <pre>{@code
 * LoggingTensorHook hook = LoggingTensorHook.builder()
 *     .tensor("loss", loss).tensor("step", "global_step/value_copy").everyNIter(100).build();
 * }</pre>
 *
 * <p>Tensors are given as operands or names ({@code "op:1"}, or {@code "op"} for its only output).
 * With {@link Builder#tensors(Map)} they log in sorted tag order; otherwise in the order given.
 *
 * <p>It logs through SLF4J (logger {@code dev.tfmon.hook.LoggingTensorHook}, level INFO), and tfmon
 * binds no SLF4J backend: without one on the classpath ({@code slf4j-simple}, Logback, ...) it
 * prints nothing, and most backends show INFO only when configured to (slf4j-simple: {@code
 * -Dorg.slf4j.simpleLogger.defaultLogLevel=info}; the {@code tfmon} command: {@code --log-level
 * info}). For values in your own code, use {@link Hooks} with a lambda instead.
 */
public final class LoggingTensorHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(LoggingTensorHook.class);

  private final Map<String, Object> items;
  private final SecondOrStepTimer timer;
  private final boolean atEnd;
  private final Function<Map<String, Tensor>, String> formatter;
  private List<String> tags;
  private List<Output<?>> outputs;
  private SessionRunArgs args;
  private long iterCount;
  private boolean shouldTrigger;

  private LoggingTensorHook(Builder b, SecondOrStepTimer timer) {
    this.items = b.sorted ? new TreeMap<>(b.items) : new LinkedHashMap<>(b.items);
    this.timer = timer;
    this.atEnd = b.atEnd;
    this.formatter = b.formatter;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void begin(BeginContext context) {
    Graph graph = context.graph();
    timer.reset();
    iterCount = 0;
    tags = new ArrayList<>(items.keySet());
    outputs = new ArrayList<>();
    for (Object item : items.values()) {
      outputs.add(item instanceof String ? HookSupport.resolve(graph, (String) item) : ((Operand<?>) item).asOutput());
    }
    SessionRunArgs.Builder b = SessionRunArgs.builder();
    outputs.forEach(b::fetch);
    args = b.build();
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    shouldTrigger = timer.shouldTriggerForStep(iterCount);
    return shouldTrigger ? args : null;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    if (shouldTrigger) {
      log(values.results());
    }
    iterCount++;
  }

  @Override
  public void end(RunnableSession session) {
    if (atEnd && session != null) {
      try (RunResult r = args.applyTo(session.runner()).run()) {
        log(r.tensors());
      }
    }
  }

  private void log(List<Tensor> values) {
    Optional<SecondOrStepTimer.Elapsed> elapsed = timer.updateLastTriggeredStep(iterCount);
    Map<String, Tensor> byTag = new LinkedHashMap<>();
    for (int i = 0; i < tags.size(); i++) {
      byTag.put(tags.get(i), values.get(i));
    }
    if (formatter != null) {
      LOG.info("{}", formatter.apply(byTag));
      return;
    }
    List<String> stats = new ArrayList<>();
    byTag.forEach((tag, t) -> stats.add(tag + " = " + render(t)));
    String line = String.join(", ", stats);
    if (elapsed.isPresent()) {
      LOG.info("{} ({} sec)", line, String.format("%.3f", elapsed.get().seconds()));
    } else {
      LOG.info("{}", line);
    }
  }

  /**
   * A tensor's value as numpy prints it: {@code 42.0} for a scalar, {@code [1 6 3]} for a vector,
   * nested brackets for higher ranks; strings are quoted.
   */
  public static String render(Tensor t) {
    if (t instanceof TString) {
      return renderArray(((TString) t), t.shape(), new long[0], true);
    }
    if (!(t instanceof NdArray)) {
      return t.toString();
    }
    return renderArray((NdArray<?>) t, t.shape(), new long[0], false);
  }

  private static String renderArray(NdArray<?> a, Shape shape, long[] prefix, boolean quote) {
    if (prefix.length == shape.numDimensions()) {
      Object v = a.getObject(prefix);
      return quote ? "'" + v + "'" : String.valueOf(v);
    }
    StringBuilder sb = new StringBuilder("[");
    long n = shape.size(prefix.length);
    for (long i = 0; i < n; i++) {
      long[] next = java.util.Arrays.copyOf(prefix, prefix.length + 1);
      next[prefix.length] = i;
      if (i > 0) {
        sb.append(prefix.length + 1 == shape.numDimensions() ? " " : "\n ");
      }
      sb.append(renderArray(a, shape, next, quote));
    }
    return sb.append(']').toString();
  }

  /** Builds a {@link LoggingTensorHook}; validated at {@link #build()}. */
  public static final class Builder {
    private final Map<String, Object> items = new LinkedHashMap<>();
    private boolean sorted;
    private Frequency every = Frequency.unset();
    private boolean atEnd;
    private Function<Map<String, Tensor>, String> formatter;
    private String problem;

    private Builder() {}

    /** Logs {@code operand} under its tensor name ({@code "op:0"}). */
    public Builder tensor(Operand<?> operand) {
      return put(GraphNames.tensorName(operand), operand);
    }

    /** Logs the tensor named {@code name}, under that name. */
    public Builder tensor(String name) {
      return put(name, name);
    }

    /** Logs {@code operand} under {@code tag}. */
    public Builder tensor(String tag, Operand<?> operand) {
      return put(tag, Objects.requireNonNull(operand, "operand"));
    }

    /** Logs the tensor named {@code name} under {@code tag}. */
    public Builder tensor(String tag, String name) {
      return put(tag, Objects.requireNonNull(name, "name"));
    }

    /**
     * Logs each value (an {@link Operand} or a tensor name) under its key, in sorted key order, as
     * TensorFlow does for a dict.
     */
    public Builder tensors(Map<String, ?> byTag) {
      byTag.forEach(
          (tag, v) -> {
            if (!(v instanceof String || v instanceof Operand)) {
              problem("expected an Operand or a tensor name for tag '" + tag + "', but got " + v);
            }
            put(tag, v);
          });
      sorted = true;
      return this;
    }

    private Builder put(String tag, Object item) {
      Objects.requireNonNull(tag, "tag");
      if (items.putIfAbsent(tag, item) != null) {
        problem("tag '" + tag + "' is given twice: each logged value needs its own tag");
      }
      return this;
    }

    /** Remembers the first bad setting, reported by {@link #build()}. */
    private void problem(String message) {
      if (problem == null) {
        problem = message;
      }
    }

    /** Log every {@code n} of this hook's own runs (not global steps). */
    public Builder everyNIter(long n) {
      every = every.withSteps(n);
      return this;
    }

    public Builder everyNSecs(double secs) {
      every = every.withSecs(secs);
      return this;
    }

    /** Also log the tensors once more at the end (default false). */
    public Builder atEnd(boolean atEnd) {
      this.atEnd = atEnd;
      return this;
    }

    /**
     * Formats the values (by tag, valid only during the call) instead of the default line; the
     * elapsed time is then not appended.
     */
    public Builder formatter(Function<Map<String, Tensor>, String> f) {
      this.formatter = Objects.requireNonNull(f, "formatter");
      return this;
    }

    /** The time source for {@link #everyNSecs} (default: the system clock). */
    public Builder clock(Clock c) {
      every = every.withClock(c);
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the values without tensors, with a tag given twice,
     *     with neither a frequency nor {@code atEnd}, with both frequencies, or if {@code
     *     everyNIter <= 0}
     */
    public LoggingTensorHook build() {
      if (items.isEmpty()) {
        throw new IllegalArgumentException("expected at least one tensor to log, but got none");
      }
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      if (atEnd && !every.isSet()) {
        return new LoggingTensorHook(this, SecondOrStepTimer.never());
      }
      if (!every.isSet()) {
        throw new IllegalArgumentException(
            "nothing says when to log: set everyNIter or everyNSecs, or atEnd(true)");
      }
      if (every.steps().isPresent() && every.steps().getAsLong() <= 0) {
        throw new IllegalArgumentException("expected everyNIter > 0, but got " + every.steps().getAsLong());
      }
      return new LoggingTensorHook(this, every.timer("everyNIter", "everyNSecs"));
    }
  }
}

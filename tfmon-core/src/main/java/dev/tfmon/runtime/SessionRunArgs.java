package dev.tfmon.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.op.Op;
import org.tensorflow.proto.RunOptions;

/**
 * What one run asks for: tensors to fetch (their values come back), operations to run (targets, no
 * value), feeds, {@code RunOptions}, and whether the run's {@code RunMetadata} is wanted. A caller
 * of a monitored session passes one down the session layers, a hook's {@code beforeRun} returns one
 * to piggyback on the caller's run, and the bottom layer applies it to a {@link Runner}: it lives
 * here, beside the runner, so nothing below the hooks has to know them. Immutable; the fed tensors
 * stay owned by whoever created them.
 *
 * <pre>{@code
 * SessionRunArgs args = SessionRunArgs.builder().fetch(loss).target(trainOp).feed(x, batch).build();
 * SessionRunArgs justLoss = SessionRunArgs.fetch(loss);
 * }</pre>
 */
public record SessionRunArgs(
    List<Output<?>> fetches,
    List<Operation> targets,
    Map<Output<?>, Tensor> feeds,
    RunOptions options,
    boolean wantMetadata) {

  public SessionRunArgs {
    fetches = List.copyOf(fetches);
    targets = List.copyOf(targets);
    feeds = Collections.unmodifiableMap(new LinkedHashMap<>(feeds));
  }

  /** Args that fetch {@code operands} and nothing else. */
  public static SessionRunArgs fetch(Operand<?>... operands) {
    Builder b = builder();
    for (Operand<?> o : operands) {
      b.fetch(o);
    }
    return b.build();
  }

  /** Args that run {@code ops} as targets and fetch nothing. */
  public static SessionRunArgs target(Op... ops) {
    Builder b = builder();
    for (Op o : ops) {
      b.target(o);
    }
    return b.build();
  }

  /** An empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these args. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.fetches.addAll(fetches);
    b.targets.addAll(targets);
    b.feeds.putAll(feeds);
    b.options = options;
    b.wantMetadata = wantMetadata;
    return b;
  }

  /** Adds these args to a {@link Runner} of the raw session. */
  public Runner applyTo(Runner runner) {
    feeds.forEach(runner::feed);
    fetches.forEach(runner::fetch);
    targets.forEach(runner::addTarget);
    if (options != null) {
      runner.options(options);
    }
    if (wantMetadata) {
      runner.withMetadata();
    }
    return runner;
  }

  /** The canonical names ({@code "op:index"}) of the fetches, in order. */
  public List<String> fetchNames() {
    List<String> names = new ArrayList<>(fetches.size());
    fetches.forEach(f -> names.add(GraphNames.tensorName(f)));
    return names;
  }

  /** Builds {@link SessionRunArgs}. */
  public static final class Builder {
    private final List<Output<?>> fetches = new ArrayList<>();
    private final List<Operation> targets = new ArrayList<>();
    private final Map<Output<?>, Tensor> feeds = new LinkedHashMap<>();
    private RunOptions options;
    private boolean wantMetadata;

    private Builder() {}

    /** Fetches the value of {@code operand}. */
    public Builder fetch(Operand<?> operand) {
      fetches.add(operand.asOutput());
      return this;
    }

    /** Runs {@code operation} without fetching a value. */
    public Builder target(Operation operation) {
      targets.add(Objects.requireNonNull(operation, "operation"));
      return this;
    }

    /** Runs {@code op} without fetching a value. */
    public Builder target(Op op) {
      return target(op.op());
    }

    /** Feeds {@code value} (still owned by the caller) to {@code operand}. */
    public Builder feed(Operand<?> operand, Tensor value) {
      feeds.put(operand.asOutput(), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Sets the run's options; null for none. */
    public Builder options(RunOptions runOptions) {
      this.options = runOptions;
      return this;
    }

    /** Asks for the run's metadata. */
    public Builder withMetadata() {
      this.wantMetadata = true;
      return this;
    }

    public SessionRunArgs build() {
      return new SessionRunArgs(fetches, targets, feeds, options, wantMetadata);
    }
  }
}

package dev.tfmon.runtime;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.op.Op;
import org.tensorflow.proto.RunOptions;

/**
 * Builds one run of a {@link NativeSession}: feeds, fetches, targets, options. The caller keeps
 * ownership of fed tensors; the fetched tensors belong to the returned {@link RunResult}.
 */
public final class Runner {
  private final NativeSession session;
  private final List<Output<?>> feeds = new ArrayList<>();
  private final List<Tensor> feedValues = new ArrayList<>();
  private final List<Output<?>> fetches = new ArrayList<>();
  private final List<Operation> targets = new ArrayList<>();
  private RunOptions options;
  private boolean wantMetadata;

  Runner(NativeSession session) {
    this.session = session;
  }

  /** Feeds {@code value} to {@code operand}. */
  public Runner feed(Operand<?> operand, Tensor value) {
    GraphNames.requireSameGraph(session.graph(), operand, "feed");
    feeds.add(operand.asOutput());
    feedValues.add(Objects.requireNonNull(value, "value"));
    return this;
  }

  /** Feeds {@code value} to the tensor named {@code "op:index"} (or {@code "op"}). */
  public Runner feed(String tensorName, Tensor value) {
    return feed(GraphNames.output(session.graph(), tensorName), value);
  }

  /** Fetches the value of {@code operand}. */
  public Runner fetch(Operand<?> operand) {
    GraphNames.requireSameGraph(session.graph(), operand, "fetch");
    fetches.add(operand.asOutput());
    return this;
  }

  /** Fetches the tensor named {@code "op:index"} (or {@code "op"}). */
  public Runner fetch(String tensorName) {
    return fetch(GraphNames.output(session.graph(), tensorName));
  }

  /** Runs {@code operation} without fetching a value. */
  public Runner addTarget(Operation operation) {
    if (operation.env() != session.graph()) {
      throw new IllegalArgumentException(
          "cannot target '" + operation.name() + "': it belongs to another graph");
    }
    targets.add(operation);
    return this;
  }

  /** Runs {@code op} without fetching a value. */
  public Runner addTarget(Op op) {
    return addTarget(op.op());
  }

  /** Runs the operation named {@code name} without fetching a value. */
  public Runner addTarget(String name) {
    return addTarget(GraphNames.operation(session.graph(), name));
  }

  /** Runs every operation of {@code operations}. */
  public Runner addTargets(Collection<? extends Operation> operations) {
    operations.forEach(this::addTarget);
    return this;
  }

  /** Sets the run's options (trace level, timeout, ...); null for none. */
  public Runner options(RunOptions runOptions) {
    this.options = runOptions;
    return this;
  }

  /** Asks TensorFlow for the run's {@code RunMetadata} (step stats with a tracing RunOptions). */
  public Runner withMetadata() {
    this.wantMetadata = true;
    return this;
  }

  /**
   * Runs the graph once.
   *
   * @throws dev.tfmon.errors.TensorFlowStatusException the typed exception for TensorFlow's status
   * @throws IllegalStateException if the session is closed
   */
  public RunResult run() {
    return session.execute(feeds, feedValues, fetches, targets, options, wantMetadata);
  }

  /**
   * Runs the graph once for the effect alone (feeds and targets, such as initializers): nothing
   * comes back, so there is nothing to close.
   *
   * @throws IllegalArgumentException naming them, if tensors were fetched or the metadata asked for
   * @throws dev.tfmon.errors.TensorFlowStatusException the typed exception for TensorFlow's status
   */
  public void runTargets() {
    if (!fetches.isEmpty() || wantMetadata) {
      List<String> names = new ArrayList<>();
      fetches.forEach(f -> names.add(GraphNames.tensorName(f)));
      throw new IllegalArgumentException(
          "runTargets returns nothing, but this run "
              + (fetches.isEmpty() ? "asks for the run's metadata" : "fetches " + names)
              + ": use run() and close its result");
    }
    run().close();
  }
}

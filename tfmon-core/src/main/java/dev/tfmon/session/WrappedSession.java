package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.function.Function;
import org.tensorflow.Graph;

/**
 * A layer that passes every call to the layer beneath it. Subclasses add one concern each and may
 * answer "should stop" through {@link #checkStop()}.
 *
 * <p>{@link #shouldStop()} is true when this layer's own check says so, when the inner layer says
 * so, or once this layer is closed. {@link #close()} closes the inner layer once; an error while
 * closing propagates (the recovery layer decides which ones it may ignore).
 *
 * <pre>{@code
 * SessionLayer counting = new WrappedSession(inner) {
 *   @Override public RunResult run(SessionRunArgs args) { runs++; return super.run(args); }
 * };
 * }</pre>
 */
public class WrappedSession implements SessionLayer {
  private final Graph graph;
  private final String target;
  private volatile SessionLayer inner;

  public WrappedSession(SessionLayer inner) {
    this.inner = inner;
    this.graph = inner.graph();
    this.target = inner.target();
  }

  /**
   * For layers that create their inner layer later ({@link RecoverableSession}); the target is
   * then the inner layer's.
   */
  protected WrappedSession(Graph graph) {
    this.graph = graph;
    this.target = null;
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public String target() {
    if (target != null) {
      return target;
    }
    SessionLayer current = inner;
    return current == null ? "" : current.target();
  }

  /** The layer beneath, or null once closed. */
  protected SessionLayer inner() {
    return inner;
  }

  /** Replaces the layer beneath (recovery). */
  protected void setInner(SessionLayer layer) {
    this.inner = layer;
  }

  /** This layer's own stop condition; false by default. */
  protected boolean checkStop() {
    return false;
  }

  @Override
  public boolean shouldStop() {
    if (checkStop()) {
      return true;
    }
    SessionLayer current = inner;
    return current == null || current.shouldStop();
  }

  @Override
  public RunResult run(SessionRunArgs args) {
    return requireInner().run(args);
  }

  @Override
  public RunResult runWithoutHooks(SessionRunArgs args) {
    return requireInner().runWithoutHooks(args);
  }

  @Override
  public <R> R runStepFn(StepFn<R> stepFn, Function<SessionRunArgs, RunResult> runWithHooks) {
    return requireInner().runStepFn(stepFn, runWithHooks != null ? runWithHooks : this::run);
  }

  @Override
  public NativeSession rawSession() {
    return requireInner().rawSession();
  }

  /** True once closed. */
  public boolean isClosed() {
    return inner == null;
  }

  @Override
  public void close() {
    SessionLayer current = inner;
    if (current == null) {
      return;
    }
    try {
      current.close();
    } finally {
      inner = null;
    }
  }

  protected SessionLayer requireInner() {
    SessionLayer current = inner;
    if (current == null) {
      throw new IllegalStateException("this session is closed");
    }
    return current;
  }
}

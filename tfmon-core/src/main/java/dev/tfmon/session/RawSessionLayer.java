package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import org.tensorflow.Graph;

/** The bottom layer: a raw {@link NativeSession}, which never asks to stop. */
public final class RawSessionLayer implements SessionLayer {
  private final NativeSession session;

  public RawSessionLayer(NativeSession session) {
    this.session = session;
  }

  @Override
  public Graph graph() {
    return session.graph();
  }

  @Override
  public String target() {
    return session.target();
  }

  @Override
  public RunResult run(SessionRunArgs args) {
    return args.applyTo(session.runner()).run();
  }

  @Override
  public boolean shouldStop() {
    return false;
  }

  @Override
  public NativeSession rawSession() {
    return session;
  }

  @Override
  public void close() {
    // After the coordinator's grace period a thread still inside a run (a queue runner blocked
    // on an accumulator) is cancelled, as TF 1.x's session close does, instead of waited for.
    session.cancelAndClose();
  }
}

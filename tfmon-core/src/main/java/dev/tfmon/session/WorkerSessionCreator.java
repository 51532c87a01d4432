package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import java.time.Duration;
import org.tensorflow.Graph;
import org.tensorflow.proto.ConfigProto;

/**
 * Creates sessions for a non-chief worker: it never initializes nor restores, it waits (up to
 * {@code maxWait}, default 30 minutes) until the chief has made the model ready.
 */
public final class WorkerSessionCreator implements SessionCreator {
  private final Scaffold scaffold;
  private final String master;
  private final ConfigProto config;
  private final Duration maxWait;
  private final Duration recoveryWait;
  private SessionManager manager;

  private WorkerSessionCreator(Builder b) {
    this.scaffold = b.scaffold;
    this.master = b.master;
    this.config = b.config;
    this.maxWait = b.maxWait;
    this.recoveryWait = b.recoveryWait;
  }

  public static Builder builder(Scaffold scaffold) {
    return new Builder(scaffold);
  }

  @Override
  public Graph graph() {
    return scaffold.graph();
  }

  @Override
  public synchronized NativeSession createSession() {
    scaffold.finalizeScaffold();
    if (manager == null) {
      manager = SessionManager.forScaffold(scaffold, recoveryWait);
    }
    return manager.waitForSession(master, config, maxWait);
  }

  /** Builds a {@link WorkerSessionCreator}. */
  public static final class Builder {
    private final Scaffold scaffold;
    private String master = "";
    private ConfigProto config;
    private Duration maxWait = Duration.ofSeconds(1800);
    private Duration recoveryWait = Duration.ofSeconds(30);

    private Builder(Scaffold scaffold) {
      this.scaffold = scaffold;
    }

    public Builder master(String target) {
      this.master = target;
      return this;
    }

    public Builder config(ConfigProto sessionConfig) {
      this.config = sessionConfig;
      return this;
    }

    /** How long to wait for the chief at most (null: forever). */
    public Builder maxWait(Duration max) {
      this.maxWait = max;
      return this;
    }

    /** How often to check whether the model is ready (default 30 s). */
    public Builder recoveryWait(Duration wait) {
      this.recoveryWait = wait;
      return this;
    }

    public WorkerSessionCreator build() {
      return new WorkerSessionCreator(this);
    }
  }
}

package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import java.time.Duration;
import org.tensorflow.proto.ConfigProto;

/**
 * Creates sessions for a non-chief worker: it never initializes nor restores, it waits (up to
 * {@code maxWait}, default 30 minutes) until the chief has made the model ready.
 *
 * <pre>{@code
 * SessionCreator worker = WorkerSessionCreator.builder(scaffold).master(server.target()).build();
 * }</pre>
 */
public final class WorkerSessionCreator extends ScaffoldSessionCreator {
  private final Duration maxWait;

  private WorkerSessionCreator(Builder b) {
    super(b);
    this.maxWait = b.maxWait;
  }

  public static Builder builder(Scaffold scaffold) {
    return new Builder(scaffold);
  }

  @Override
  NativeSession createSession(SessionManager manager, String master, ConfigProto config) {
    return manager.waitForSession(master, config, maxWait);
  }

  /** Builds a {@link WorkerSessionCreator}. */
  public static final class Builder extends ScaffoldSessionCreator.Builder<Builder> {
    private Duration maxWait = Duration.ofSeconds(1800);

    private Builder(Scaffold scaffold) {
      super(scaffold);
    }

    /** How long to wait for the chief at most (null: forever; default 30 minutes). */
    public Builder maxWait(Duration max) {
      this.maxWait = max;
      return this;
    }

    /** @throws IllegalArgumentException naming the value if a wait is negative */
    public WorkerSessionCreator build() {
      validate();
      if (maxWait != null) {
        SettingChecks.nonNegative("maxWait", maxWait);
      }
      return new WorkerSessionCreator(this);
    }
  }
}

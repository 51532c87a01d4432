package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import java.time.Duration;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.proto.ConfigProto;

/**
 * What the chief's and the workers' session creators share: a {@link Scaffold} (finalized before
 * the first session), the target, the session options, how often to check whether the model is
 * ready, and the {@link SessionManager} made from them. {@link ChiefSessionCreator} initializes or
 * restores through it; {@link WorkerSessionCreator} waits for the chief to have done so.
 *
 * <pre>{@code
 * ScaffoldSessionCreator creator = isChief
 *     ? ChiefSessionCreator.builder(scaffold).master(target).checkpointDir(dir).build()
 *     : WorkerSessionCreator.builder(scaffold).master(target).maxWait(Duration.ofMinutes(10)).build();
 * }</pre>
 */
public abstract class ScaffoldSessionCreator implements SessionCreator {
  private final Scaffold scaffold;
  private final String master;
  private final ConfigProto config;
  private final Duration recoveryWait;
  private SessionManager manager;

  ScaffoldSessionCreator(Builder<?> b) {
    this.scaffold = b.scaffold;
    this.master = b.master;
    this.config = b.config;
    this.recoveryWait = b.recoveryWait;
  }

  /** The scaffold whose ops initialize, restore and check the model. */
  public Scaffold scaffold() {
    return scaffold;
  }

  @Override
  public Graph graph() {
    return scaffold.graph();
  }

  /** Finalizes the scaffold (once), then makes a session whose model is ready. */
  @Override
  public final synchronized NativeSession createSession() {
    scaffold.finalizeScaffold();
    if (manager == null) {
      manager = SessionManager.forScaffold(scaffold, recoveryWait);
    }
    return createSession(manager, master, config);
  }

  /** A session for {@code master} with {@code config} (null: the default options), made ready. */
  abstract NativeSession createSession(SessionManager manager, String master, ConfigProto config);

  /**
   * The settings every session creator has. A null is rejected by the setter; other checks happen
   * at {@code build()}.
   *
   * @param <B> the concrete builder, returned by every setter
   */
  public abstract static class Builder<B extends Builder<B>> {
    private final Scaffold scaffold;
    private String master = "";
    private ConfigProto config;
    private Duration recoveryWait = Duration.ofSeconds(30);

    Builder(Scaffold scaffold) {
      this.scaffold = Objects.requireNonNull(scaffold, "scaffold");
    }

    /** {@code ""} (in process, the default) or {@code grpc://host:port}. */
    public B master(String target) {
      this.master = Objects.requireNonNull(target, "master");
      return self();
    }

    /** The session options (null, the default: TensorFlow's defaults). */
    public B config(ConfigProto sessionConfig) {
      this.config = sessionConfig;
      return self();
    }

    /**
     * How often to check whether the model is ready, or whether a checkpoint appeared (default
     * 30 s, TF 1.x's {@code recovery_wait_secs}).
     */
    public B recoveryWait(Duration wait) {
      this.recoveryWait = Objects.requireNonNull(wait, "recoveryWait");
      return self();
    }

    /** Checks the common settings; called first by each {@code build()}. */
    void validate() {
      SettingChecks.nonNegative("recoveryWait", recoveryWait);
    }

    @SuppressWarnings("unchecked")
    private B self() {
      return (B) this;
    }
  }
}

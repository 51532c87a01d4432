package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import java.time.Duration;
import org.tensorflow.Graph;
import org.tensorflow.proto.ConfigProto;

/**
 * Creates sessions for the chief: restores the newest good checkpoint of the checkpoint directory
 * (or the given checkpoint), else initializes the model with the Scaffold's init op and init
 * function. Every call does it all again, so a recovered chief restores the latest checkpoint.
 *
 * <pre>{@code
 * SessionCreator chief = ChiefSessionCreator.builder(scaffold).checkpointDir(dir).build();
 * }</pre>
 */
public final class ChiefSessionCreator implements SessionCreator {
  private final Scaffold scaffold;
  private final String master;
  private final ConfigProto config;
  private final Path checkpointDir;
  private final String checkpointPath;
  private final Duration recoveryWait;
  private SessionManager manager;

  private ChiefSessionCreator(Builder b) {
    this.scaffold = b.scaffold;
    this.master = b.master;
    this.config = b.config;
    this.checkpointDir = b.checkpointDir;
    this.checkpointPath = b.checkpointPath;
    this.recoveryWait = b.recoveryWait;
  }

  /** A chief creator for {@code graph} with a default Scaffold, in process, no checkpoints. */
  public static ChiefSessionCreator of(Graph graph) {
    return builder(Scaffold.of(graph)).build();
  }

  public static Builder builder(Scaffold scaffold) {
    return new Builder(scaffold);
  }

  public Scaffold scaffold() {
    return scaffold;
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
    SessionManager.Restore restore =
        new SessionManager.Restore().saver(scaffold.saver());
    if (checkpointDir != null) {
      restore.checkpointDir(checkpointDir);
    }
    if (checkpointPath != null) {
      restore.checkpointPath(checkpointPath);
    }
    SessionManager.Init init =
        new SessionManager.Init()
            .initOp(scaffold.initOp())
            .initFeeds(scaffold.initFeeds())
            .initFn(scaffold, scaffold.initFn());
    return manager.prepareSession(master, config, restore, init);
  }

  /** Builds a {@link ChiefSessionCreator}; the checkpoint directory and path exclude each other. */
  public static final class Builder {
    private final Scaffold scaffold;
    private String master = "";
    private ConfigProto config;
    private Path checkpointDir;
    private String checkpointPath;
    private Duration recoveryWait = Duration.ofSeconds(30);

    private Builder(Scaffold scaffold) {
      this.scaffold = scaffold;
    }

    /** {@code ""} (in process, the default) or {@code grpc://host:port}. */
    public Builder master(String target) {
      this.master = target;
      return this;
    }

    public Builder config(ConfigProto sessionConfig) {
      this.config = sessionConfig;
      return this;
    }

    /** Restore from the newest good checkpoint of this directory, if any. */
    public Builder checkpointDir(Path dir) {
      this.checkpointDir = dir;
      return this;
    }

    /** Restore exactly this checkpoint. */
    public Builder checkpointPath(String path) {
      this.checkpointPath = path;
      return this;
    }

    public Builder recoveryWait(Duration wait) {
      this.recoveryWait = wait;
      return this;
    }

    public ChiefSessionCreator build() {
      if (checkpointDir != null && checkpointPath != null) {
        throw new IllegalArgumentException(
            "Can not provide both checkpoint_dir ("
                + checkpointDir
                + ") and checkpoint_filename_with_path ("
                + checkpointPath
                + ").");
      }
      return new ChiefSessionCreator(this);
    }
  }
}

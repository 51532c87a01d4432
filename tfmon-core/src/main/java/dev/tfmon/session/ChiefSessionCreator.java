package dev.tfmon.session;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import java.util.Objects;
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
public final class ChiefSessionCreator extends ScaffoldSessionCreator {
  private final Path checkpointDir;
  private final String checkpointPath;

  private ChiefSessionCreator(Builder b) {
    super(b);
    this.checkpointDir = b.checkpointDir;
    this.checkpointPath = b.checkpointPath;
  }

  /** A chief creator for {@code graph} with a default Scaffold, in process, no checkpoints. */
  public static ChiefSessionCreator of(Graph graph) {
    return builder(Scaffold.of(graph)).build();
  }

  public static Builder builder(Scaffold scaffold) {
    return new Builder(scaffold);
  }

  @Override
  NativeSession createSession(SessionManager manager, String master, ConfigProto config) {
    Scaffold scaffold = scaffold();
    SessionManager.Restore restore = new SessionManager.Restore().saver(scaffold.saver());
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
  public static final class Builder extends ScaffoldSessionCreator.Builder<Builder> {
    private Path checkpointDir;
    private String checkpointPath;

    private Builder(Scaffold scaffold) {
      super(scaffold);
    }

    /** Restore from the newest good checkpoint of this directory, if any. */
    public Builder checkpointDir(Path dir) {
      this.checkpointDir = Objects.requireNonNull(dir, "checkpointDir");
      return this;
    }

    /** Restore exactly this checkpoint. */
    public Builder checkpointPath(String path) {
      this.checkpointPath = Objects.requireNonNull(path, "checkpointPath");
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the values if both a checkpoint directory and a
     *     checkpoint path are set, or the recovery wait is negative
     */
    public ChiefSessionCreator build() {
      validate();
      if (checkpointDir != null && checkpointPath != null) {
        throw new IllegalArgumentException(
            "checkpointDir ("
                + checkpointDir
                + ") and checkpointPath ("
                + checkpointPath
                + ") are both set: restore either the newest checkpoint of a directory or one"
                + " checkpoint, so set only one of them");
      }
      return new ChiefSessionCreator(this);
    }
  }
}

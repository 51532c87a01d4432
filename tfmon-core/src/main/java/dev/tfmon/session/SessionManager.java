package dev.tfmon.session;

import dev.tfmon.checkpoint.CheckpointState;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.DeadlineExceededException;
import dev.tfmon.errors.FailedPreconditionException;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.Runner;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * Creates sessions whose model is ready: TensorFlow 1.x's {@code tf.train.SessionManager}.
 *
 * <ul>
 *   <li>{@link #prepareSession} (the chief): restore the latest checkpoint, or else run the init
 *       op and init function; then run the local init op once the ready-for-local-init op is
 *       satisfied; then check the ready op. Errors name the variables that are not ready.
 *   <li>{@link #recoverSession}: restore if possible, never initialize; reports whether the
 *       model is ready.
 *   <li>{@link #waitForSession} (other workers): open sessions until the chief has made the model
 *       ready, checking every {@code recoveryWait}, up to {@code maxWait}.
 * </ul>
 *
 * <p>Beyond TF 1.x: restoring from a directory takes the newest checkpoint that verifies
 * ({@link Checkpoints#newestRestorable}), so a corrupt latest checkpoint or an unreadable state file
 * falls back to an older good one instead of failing or silently training from scratch.
 */
public final class SessionManager {
  private static final Logger LOG = LoggerFactory.getLogger(SessionManager.class);

  private final Graph graph;
  private final Operation localInitOp;
  private final Output<TString> readyOp;
  private final Output<TString> readyForLocalInitOp;
  private final Duration recoveryWait;
  private final Map<Output<?>, Tensor> localInitFeeds;
  private final RunOptions localInitRunOptions;
  private final Coordinator.Sleeper sleeper;
  private final LongSupplier nanoClock;

  private SessionManager(Builder b) {
    if (b.readyForLocalInitOp != null && b.localInitOp == null) {
      throw new IllegalArgumentException(
          "readyForLocalInitOp ("
              + b.readyForLocalInitOp.op().name()
              + ") is set but localInitOp is not: that check only guards a local init op, so set"
              + " localInitOp too, or neither");
    }
    this.graph = b.graph;
    this.localInitOp = b.localInitOp;
    this.readyOp = b.readyOp;
    this.readyForLocalInitOp = b.readyForLocalInitOp;
    this.recoveryWait = b.recoveryWait;
    this.localInitFeeds = b.localInitFeeds;
    this.localInitRunOptions = b.localInitRunOptions;
    this.sleeper = b.sleeper;
    this.nanoClock = b.nanoClock;
  }

  public static Builder builder(Graph graph) {
    return new Builder(graph);
  }

  /**
   * The manager a session creator uses: the finalized {@code scaffold}'s local init op and feeds,
   * ready op and ready-for-local-init op.
   */
  static SessionManager forScaffold(Scaffold scaffold, Duration recoveryWait) {
    return builder(scaffold.graph())
        .localInitOp(scaffold.localInitOp())
        .localInitFeeds(scaffold.localInitFeeds())
        .readyOp(scaffold.readyOp())
        .readyForLocalInitOp(scaffold.readyForLocalInitOp())
        .recoveryWait(recoveryWait)
        .build();
  }

  /** The graph of the sessions this manager creates. */
  public Graph graph() {
    return graph;
  }

  /** Where a model's state comes from when a session is prepared or recovered. */
  public static final class Restore {
    private Saver saver;
    private Path checkpointDir;
    private String checkpointPath;
    private boolean waitForCheckpoint;
    private Duration maxWait = Duration.ofSeconds(7200);

    /** The saver that restores (without one, nothing is restored). */
    public Restore saver(Saver s) {
      this.saver = s;
      return this;
    }

    /** Restore the newest good checkpoint of this directory. */
    public Restore checkpointDir(Path dir) {
      this.checkpointDir = dir;
      return this;
    }

    /** Restore exactly this checkpoint prefix. */
    public Restore checkpointPath(String path) {
      this.checkpointPath = path;
      return this;
    }

    /** Wait (up to {@code maxWait}) for a checkpoint to appear in the directory. */
    public Restore waitForCheckpoint(boolean wait, Duration max) {
      this.waitForCheckpoint = wait;
      this.maxWait = max;
      return this;
    }
  }

  /** What the chief runs when it could not restore. */
  public static final class Init {
    private Operation initOp;
    private Map<Output<?>, Tensor> initFeeds;
    private BiConsumer<Scaffold, NativeSession> initFn;
    private Scaffold scaffold;

    public Init initOp(Operation op) {
      this.initOp = op;
      return this;
    }

    public Init initFeeds(Map<Output<?>, Tensor> feeds) {
      this.initFeeds = feeds;
      return this;
    }

    /** Called as {@code fn(scaffold, session)} after the init op. */
    public Init initFn(Scaffold owner, BiConsumer<Scaffold, NativeSession> fn) {
      this.scaffold = owner;
      this.initFn = fn;
      return this;
    }
  }

  /** A session and whether it reached the state asked for. */
  public record SessionAndStatus(NativeSession session, boolean ok) {}

  /**
   * Creates a session with a ready model, restoring or initializing it.
   *
   * @throws IllegalStateException if the model is not ready afterwards, naming the init op, the
   *     init function, the local init op and the variables not ready
   */
  public NativeSession prepareSession(String master, ConfigProto config, Restore restore, Init init) {
    SessionAndStatus restored = restoreCheckpoint(master, config, restore);
    NativeSession session = restored.session();
    try {
      if (!restored.ok()) {
        if (init.initOp == null && init.initFn == null && localInitOp == null) {
          throw new IllegalStateException(
              "the model was not restored and nothing can initialize it: there is no init op, init"
                  + " function or local init op (give the Scaffold one, or a checkpoint to restore)");
        }
        if (init.initOp != null) {
          Runner r = session.runner().addTarget(init.initOp);
          if (init.initFeeds != null) {
            init.initFeeds.forEach(r::feed);
          }
          r.run().close();
        }
        if (init.initFn != null) {
          init.initFn.accept(init.scaffold, session);
        }
      }
      Optional<String> localInitFailure = tryRunLocalInitOp(session);
      if (localInitFailure.isPresent()) {
        throw new IllegalStateException(
            "the model is not ready for its local init op after initializing it with init op "
                + nameOf(init.initOp)
                + " and init function "
                + init.initFn
                + ": "
                + localInitFailure.get());
      }
      Optional<String> notReady = ready(readyOp, session);
      if (notReady.isPresent()) {
        throw new IllegalStateException(
            "the model is not ready after initializing it with init op "
                + nameOf(init.initOp)
                + ", init function "
                + init.initFn
                + " and local init op "
                + nameOf(localInitOp)
                + ": "
                + notReady.get()
                + " (the init ops must initialize everything the ready op checks)");
      }
      return session;
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  /**
   * Creates a session and restores it if a checkpoint can be found; never runs the init op. The
   * status is true when the model was restored and is ready.
   */
  public SessionAndStatus recoverSession(String master, ConfigProto config, Restore restore) {
    SessionAndStatus restored = restoreCheckpoint(master, config, restore);
    NativeSession session = restored.session();
    try {
      Optional<String> localInitFailure = tryRunLocalInitOp(session);
      if (!restored.ok()) {
        return new SessionAndStatus(session, false);
      }
      if (localInitFailure.isPresent()) {
        LOG.info("the restored model is not ready: its local init op could not run: {}",
            localInitFailure.get());
        return new SessionAndStatus(session, false);
      }
      Optional<String> notReady = ready(readyOp, session);
      if (notReady.isPresent()) {
        LOG.info("the restored model is not ready: {}", notReady.get());
        return new SessionAndStatus(session, false);
      }
      LOG.info("restored the model from a checkpoint");
      return new SessionAndStatus(session, true);
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  /**
   * Opens sessions until one finds the model ready (checking at once, then every {@code
   * recoveryWait}), for workers that wait for the chief.
   *
   * @param maxWait how long to wait at most; null waits forever
   * @throws DeadlineExceededException naming the wait and what was still not ready, once {@code
   *     maxWait} has passed
   */
  public NativeSession waitForSession(String master, ConfigProto config, Duration maxWait) {
    long remaining = maxWait == null ? Long.MAX_VALUE : maxWait.toNanos();
    long waitNanos = recoveryWait.toNanos();
    long start = nanoClock.getAsLong();
    while (true) {
      NativeSession session = NativeSession.open(graph, master, config);
      Optional<String> notReadyForLocal = Optional.empty();
      Optional<String> notReady = Optional.empty();
      try {
        notReadyForLocal = tryRunLocalInitOp(session);
        if (notReadyForLocal.isEmpty()) {
          notReady = ready(readyOp, session);
          if (notReady.isEmpty()) {
            return session;
          }
        }
      } catch (RuntimeException e) {
        session.close();
        throw e;
      }
      session.close();
      if (maxWait != null) {
        long elapsed = nanoClock.getAsLong() - start;
        remaining = Math.max(0, maxWait.toNanos() - elapsed);
        if (remaining - waitNanos < 0) {
          throw new DeadlineExceededException(
              "the model was still not ready after waiting "
                  + maxWait.toSeconds()
                  + " s (maxWait) for the chief to initialize it: "
                  + (notReadyForLocal.isPresent() ? notReadyForLocal.get() : notReady.orElse("unknown")));
        }
      }
      LOG.info(
          "the model is not ready yet, checking again in {}: ready for local init: {}, ready: {}",
          recoveryWait,
          notReadyForLocal.orElse("yes"),
          notReady.orElse(notReadyForLocal.isPresent() ? "not checked" : "yes"));
      try {
        sleeper.sleep(recoveryWait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the model to be ready", e);
      }
    }
  }

  private SessionAndStatus restoreCheckpoint(String master, ConfigProto config, Restore restore) {
    NativeSession session = NativeSession.open(graph, master, config);
    try {
      if (restore.checkpointDir != null && restore.checkpointPath != null) {
        throw new IllegalArgumentException(
            "checkpointDir ("
                + restore.checkpointDir
                + ") and checkpointPath ("
                + restore.checkpointPath
                + ") are both set: restore either the newest checkpoint of a directory or one"
                + " checkpoint, so set only one of them");
      }
      if (restore.saver == null || (restore.checkpointDir == null && restore.checkpointPath == null)) {
        return new SessionAndStatus(session, false);
      }
      if (restore.checkpointPath != null) {
        restore.saver.restore(session, restore.checkpointPath);
        return new SessionAndStatus(session, true);
      }
      long waitedNanos = 0;
      while (true) {
        Optional<String> newest = Checkpoints.newestRestorable(restore.checkpointDir);
        if (newest.isPresent()) {
          restore.saver.restore(session, newest.get());
          Optional<CheckpointState> state = stateOf(restore.checkpointDir);
          state.ifPresent(s -> restore.saver.recoverLastCheckpoints(absolute(restore.checkpointDir, s)));
          LOG.info("Restored model from {}", newest.get());
          return new SessionAndStatus(session, true);
        }
        if (!restore.waitForCheckpoint || waitedNanos >= restore.maxWait.toNanos()) {
          return new SessionAndStatus(session, false);
        }
        LOG.info("no checkpoint in {} yet, checking again in {}", restore.checkpointDir, recoveryWait);
        sleeper.sleep(recoveryWait);
        waitedNanos += recoveryWait.toNanos();
      }
    } catch (InterruptedException e) {
      session.close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a checkpoint", e);
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  private static Optional<CheckpointState> stateOf(Path dir) {
    try {
      return Checkpoints.checkpointState(dir);
    } catch (RuntimeException unreadable) {
      return Optional.empty();
    }
  }

  private static List<String> absolute(Path dir, CheckpointState state) {
    List<String> out = new ArrayList<>();
    for (String p : state.allModelCheckpointPaths()) {
      Path path = Path.of(p);
      out.add(path.isAbsolute() ? p : dir.resolve(path).toString());
    }
    return out;
  }

  /** Empty when local init ran (or there is none), else why it could not run. */
  private Optional<String> tryRunLocalInitOp(NativeSession session) {
    if (localInitOp == null) {
      return Optional.empty();
    }
    Optional<String> notReady = ready(readyForLocalInitOp, session);
    if (notReady.isPresent()) {
      return notReady;
    }
    LOG.debug("Running local_init_op {}", localInitOp.name());
    Runner r = session.runner().addTarget(localInitOp);
    if (localInitFeeds != null) {
      localInitFeeds.forEach(r::feed);
    }
    if (localInitRunOptions != null) {
      r.options(localInitRunOptions);
    }
    r.run().close();
    return Optional.empty();
  }

  /**
   * Runs a readiness op: empty when ready, else the reason ("Variables not initialized: a, b").
   */
  static Optional<String> ready(Output<?> op, RunnableSession session) {
    if (op == null) {
      return Optional.empty();
    }
    try (RunResult r = session.runner().fetch(op).run()) {
      Tensor t = r.get(0);
      if (t instanceof TInt32 || t.shape().size() == 0) {
        return Optional.empty();
      }
      List<String> names = new ArrayList<>();
      ((TString) t).scalars().forEach(s -> names.add(s.getObject()));
      return Optional.of("Variables not initialized: " + String.join(", ", names));
    } catch (FailedPreconditionException e) {
      if (e.tensorflowMessage().contains("uninitialized")) {
        return Optional.of(e.tensorflowMessage());
      }
      LOG.warn("Model not ready raised: {}", e.getMessage());
      throw e;
    }
  }

  private static String nameOf(Operation op) {
    return op == null ? "None" : op.name();
  }

  /** Builds a {@link SessionManager}. */
  public static final class Builder {
    private final Graph graph;
    private Operation localInitOp;
    private Output<TString> readyOp;
    private Output<TString> readyForLocalInitOp;
    private Duration recoveryWait = Duration.ofSeconds(30);
    private Map<Output<?>, Tensor> localInitFeeds;
    private RunOptions localInitRunOptions;
    private Coordinator.Sleeper sleeper = Coordinator.Sleeper.system();
    private LongSupplier nanoClock = System::nanoTime;

    private Builder(Graph graph) {
      this.graph = Objects.requireNonNull(graph, "graph");
    }

    public Builder localInitOp(Operation op) {
      this.localInitOp = op;
      return this;
    }

    public Builder readyOp(Output<TString> op) {
      this.readyOp = op;
      return this;
    }

    public Builder readyForLocalInitOp(Output<TString> op) {
      this.readyForLocalInitOp = op;
      return this;
    }

    /** How long to wait between readiness checks (default 30 s). */
    public Builder recoveryWait(Duration wait) {
      this.recoveryWait = Objects.requireNonNull(wait, "recoveryWait");
      return this;
    }

    public Builder localInitFeeds(Map<Output<?>, Tensor> feeds) {
      this.localInitFeeds = feeds;
      return this;
    }

    public Builder localInitRunOptions(RunOptions options) {
      this.localInitRunOptions = options;
      return this;
    }

    /** Time source and sleeper for the waits (tests pass fakes). */
    public Builder clock(LongSupplier nanos, Coordinator.Sleeper sleep) {
      this.nanoClock = Objects.requireNonNull(nanos, "nanos");
      this.sleeper = Objects.requireNonNull(sleep, "sleep");
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the value if the recovery wait is negative, or a
     *     ready-for-local-init op is set without a local init op
     */
    public SessionManager build() {
      SettingChecks.nonNegative("recoveryWait", recoveryWait);
      return new SessionManager(this);
    }
  }
}

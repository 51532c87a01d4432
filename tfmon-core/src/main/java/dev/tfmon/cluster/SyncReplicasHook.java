package dev.tfmon.cluster;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Operation;
import org.tensorflow.types.TString;

/**
 * TF 1.x's {@code _SyncReplicasOptimizerHook}, made by {@link SyncReplicas#hook}. After each
 * session creation (recoveries included) it checks that the global variables are initialized,
 * then sets the local step from the global step; the chief also sets every accumulator's step,
 * enqueues its initial tokens and starts the queue runner that applies the averaged gradients.
 *
 * <p>The queue runner's threads answer to a coordinator of this hook, tied to the session's
 * coordinator both ways (a stop of the session stops them; a failure of theirs stops the session):
 * a thread blocked on an accumulator cannot be joined, so the session's close, which cancels it,
 * must not wait for it first.
 *
 * <p>At a clean end the chief enqueues one token per replica, so that workers waiting for a token
 * can finish their step and see the last global step (in TF 1.x they would wait forever).
 */
final class SyncReplicasHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(SyncReplicasHook.class);
  private static final Duration LONG_WAIT = Duration.ofDays(1);

  private final SyncReplicas sync;
  private final boolean chief;
  private final int numTokens;
  private SyncReplicasOps ops;
  private Operation initTokens;
  private Operation releaseTokens;
  private Coordinator runnerCoordinator;

  SyncReplicasHook(SyncReplicas sync, boolean chief, int numTokens) {
    this.sync = sync;
    this.chief = chief;
    this.numTokens = numTokens;
  }

  @Override
  public String name() {
    return "SyncReplicasHook";
  }

  @Override
  public void begin(BeginContext context) {
    SyncReplicasOps built = sync.ops();
    if (built == null) {
      throw new IllegalStateException(
          "SyncReplicas '" + sync.name() + "': call minimize(loss, ...) before the session begins");
    }
    if (built.graph() != context.graph()) {
      throw new IllegalStateException(
          "SyncReplicas '" + sync.name() + "' built its ops in another graph than the session's");
    }
    if (ops == built) {
      return; // a second session of the same graph: the chief's token ops exist already
    }
    ops = built;
    if (chief) {
      SyncOpBuilder b = new SyncOpBuilder(built.graph(), sync.name());
      String device = ((org.tensorflow.GraphOperation) built.tokenQueue().op()).device();
      if (numTokens > 0) {
        initTokens =
            b.enqueueTokens(
                sync.name() + "/init_tokens", built.tokenQueue(), built.globalStep().variable(),
                numTokens, null, device);
      }
      releaseTokens =
          b.enqueueTokens(
              sync.name() + "/release_tokens", built.tokenQueue(), built.globalStep().variable(),
              sync.totalReplicas(), null, device);
    }
  }

  @Override
  public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
    stopRunner();
    List<String> notReady = uninitialized(session);
    if (!notReady.isEmpty()) {
      throw new IllegalStateException(
          "SyncReplicas '"
              + sync.name()
              + "': the model is not ready for the local step's init; uninitialized variables: "
              + notReady);
    }
    session.runner().addTarget(chief ? ops.chiefInit() : ops.localStepInit()).runTargets();
    long step = GlobalStep.value(session);
    if (!chief) {
      LOG.info("SyncReplicas '{}': local step set to global step {}", sync.name(), step);
      return;
    }
    if (initTokens != null) {
      session.runner().addTarget(initTokens).runTargets();
    }
    Coordinator own = new Coordinator(Set.of());
    runnerCoordinator = own;
    ops.chiefQueueRunner().createThreads(session, own, true, true);
    Thread stopWithSession =
        new Thread(
            () -> {
              while (!coordinator.waitForStop(LONG_WAIT)) {
                // wait
              }
              own.requestStop();
            },
            "SyncReplicas-" + sync.name() + "-stop-with-session");
    stopWithSession.setDaemon(true);
    coordinator.registerThread(stopWithSession);
    Thread reportFailure =
        new Thread(
            () -> {
              while (!own.waitForStop(LONG_WAIT)) {
                // wait
              }
              own.recordedException()
                  .ifPresent(
                      e -> {
                        if (!coordinator.shouldStop()) {
                          coordinator.requestStop(e);
                        }
                      });
            },
            "SyncReplicas-" + sync.name() + "-report-failure");
    reportFailure.setDaemon(true);
    stopWithSession.start();
    reportFailure.start();
    LOG.info(
        "SyncReplicas '{}': chief enqueued {} tokens at global step {} and started the queue runner"
            + " ({} of {} replicas per step)",
        sync.name(), numTokens, step, sync.replicasToAggregate(), sync.totalReplicas());
  }

  @Override
  public void end(RunnableSession session) {
    if (!chief) {
      return;
    }
    stopRunner();
    try {
      session.runner().addTarget(releaseTokens).runTargets();
      LOG.info(
          "SyncReplicas '{}': released waiting workers with {} tokens at global step {}",
          sync.name(), sync.totalReplicas(), GlobalStep.value(session));
    } catch (RuntimeException e) {
      LOG.warn("SyncReplicas '{}': could not release waiting workers: {}", sync.name(), e.toString());
    }
  }

  private void stopRunner() {
    if (runnerCoordinator != null) {
      runnerCoordinator.requestStop();
      runnerCoordinator = null;
    }
  }

  private List<String> uninitialized(RunnableSession session) {
    List<String> names = new ArrayList<>();
    try (RunResult r = session.run(SessionRunArgs.fetch(ops.readyForLocalInit()))) {
      TString t = r.get(ops.readyForLocalInit());
      for (long i = 0; i < t.shape().size(); i++) {
        names.add(t.getObject(i));
      }
    }
    return names;
  }
}

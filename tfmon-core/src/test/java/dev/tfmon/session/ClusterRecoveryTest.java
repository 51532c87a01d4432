package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.StatusCode;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.testing.ChildJvm;
import dev.tfmon.testing.ClusterTaskMain;
import dev.tfmon.testing.FreePorts;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;

/**
 * Recovery for real: a MonitoredSession trains on a cluster whose ps task is killed with SIGKILL
 * and restarted on the same port in the middle of the loop. The loop survives (UNAVAILABLE, then
 * ABORTED, each answered by a new session), hooks see afterCreateSession twice, and training goes
 * on to its last step.
 */
@Tag("multiprocess")
class ClusterRecoveryTest {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterRecoveryTest.class);
  private static final Duration START = Duration.ofSeconds(60);

  @Test
  void monitoredSessionLoopSurvivesAKilledAndRestartedPsTask() throws Exception {
    String ps = "127.0.0.1:" + FreePorts.next();
    String worker = "127.0.0.1:" + FreePorts.next();
    String[] cluster = {"ps=" + ps, "worker=" + worker};
    AtomicReference<ChildJvm> psTask = new AtomicReference<>(ClusterTaskMain.start("ps", cluster));
    ExecutorService restarter = Executors.newSingleThreadExecutor();
    try (ChildJvm workerTask = ClusterTaskMain.start("worker", cluster);
        Graph g = new Graph()) {
      String target = ClusterTaskMain.target(workerTask.awaitLine("READY ", START));
      psTask.get().awaitLine("READY ", START);

      Ops onPs = Ops.create(g).withDevice(DeviceSpec.newBuilder().job("ps").task(0).build());
      GraphVariable step = GlobalStep.getOrCreate(g);
      @SuppressWarnings("unchecked")
      Output<TInt64> ref = (Output<TInt64>) step.variable();
      Output<TInt64> stepRead = GlobalStep.readTensor(g);
      // Ordered after the read copy, as TrainOps.minimize does: hooks see every step exactly once.
      var doStep =
          onPs.withControlDependencies(List.of(() -> stepRead.op()))
              .withName("do_step")
              .assignAdd(ref, onPs.constant(1L));

      AtomicInteger sessionsCreated = new AtomicInteger();
      List<RecoveryEvent> recoveries = new CopyOnWriteArrayList<>();
      AtomicReference<Future<Long>> restart = new AtomicReference<>();
      SessionRunHook killAtStep5 =
          new SessionRunHook() {
            private long runs;

            @Override
            public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
              sessionsCreated.incrementAndGet();
            }

            @Override
            public SessionRunArgs beforeRun(SessionRunContext context) {
              return SessionRunArgs.fetch(stepRead);
            }

            @Override
            public void afterRun(SessionRunContext context, SessionRunValues values) {
              long seen = ((TInt64) values.get(0)).getLong();
              if (seen >= 5 && restart.get() == null) {
                restart.set(
                    restarter.submit(
                        () -> {
                          psTask.get().kill();
                          ChildJvm again = ClusterTaskMain.start("ps", cluster);
                          psTask.set(again);
                          again.awaitLine("READY ", START);
                          return System.nanoTime();
                        }));
              }
              if (seen >= 10 && sessionsCreated.get() >= 2) {
                context.requestStop();
              }
              if (++runs > 100_000) {
                context.requestStop(); // bounded: the assertions below then say what went wrong
              }
            }
          };
      Scaffold scaffold = Scaffold.of(g);
      long firstStepAfterRestart;
      try (MonitoredSession session =
          MonitoredSession.builder(
                  ChiefSessionCreator.builder(scaffold).master(target).build())
              .hook(killAtStep5)
              .recoveryPolicy(
                  RecoveryPolicy.builder()
                      .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                      .budget(200, Duration.ofMinutes(5))
                      .build())
              .recoveryListener(recoveries::add)
              .build()) {
        long runs = session.runUntilStopped(s -> s.run(doStep));
        firstStepAfterRestart = System.nanoTime();
        assertThat(runs).isGreaterThanOrEqualTo(15);
      }
      assertThat(restart.get()).as("the ps was never restarted").isNotNull();
      long psBackAt = restart.get().get(90, TimeUnit.SECONDS);
      // One session per recovery plus the first: hooks saw afterCreateSession each time. Under load
      // a new session can be created before the restarted ps serves, and be lost again.
      assertThat(recoveries).isNotEmpty();
      assertThat(sessionsCreated.get()).isEqualTo(recoveries.size() + 1).isGreaterThanOrEqualTo(2);
      assertThat(recoveries)
          .extracting(e -> e.cause().code())
          .allMatch(c -> c == StatusCode.UNAVAILABLE || c == StatusCode.ABORTED);
      RecoveryEvent last = recoveries.get(recoveries.size() - 1);
      LOG.info(
          "ps restart recovered: {} recovery event(s), last took {} ms; causes {}",
          recoveries.size(),
          last.timeToRecover().toMillis(),
          recoveries.stream().map(e -> e.cause().code()).toList());
      assertThat(firstStepAfterRestart).isGreaterThan(psBackAt);
    } finally {
      restarter.shutdownNow();
      psTask.get().close();
    }
  }


}

package dev.tfmon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;

/** The stall watchdog around real training loops: a blocked hook, a slow loop, a slow close. */
class StallWatchdogTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  /** Blocks in {@code beforeRun} of run number {@code atRun} until released. */
  static final class BlockingHook implements SessionRunHook {
    final CountDownLatch release = new CountDownLatch(1);
    private final int atRun;
    private int runs;

    BlockingHook(int atRun) {
      this.atRun = atRun;
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      if (++runs == atRun) {
        awaitRelease(release);
      }
      return null;
    }
  }

  /** Blocks in {@code end()} (inside the monitored session's close) until released. */
  static final class BlockingEndHook implements SessionRunHook {
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void end(RunnableSession session) {
      awaitRelease(release);
    }
  }

  static void awaitRelease(CountDownLatch latch) {
    try {
      if (!latch.await(60, TimeUnit.SECONDS)) {
        throw new AssertionError("the test never released the latch");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void reportsOnceAHookBlockedPastTheTimeoutNamingTheBlockedThreadAndTheRunInFlight() throws Exception {
    LinkedBlockingQueue<StallReport> reports = new LinkedBlockingQueue<>();
    TrainingStats stats = new TrainingStats("stall-run");
    BlockingHook blocking = new BlockingHook(5);
    try (Graph g = new Graph();
        Training training = new Training("stall-trainer");
        AutoCloseable releaseOnFailure = blocking.release::countDown;
        StallWatchdog watchdog =
            StallWatchdog.builder().stallTimeout(Duration.ofSeconds(2)).stats(stats).sink(reports::add).build()) {
      Model model = Model.build(g);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "stall-run").stats(stats).registerMBean(false).fetchEveryNRuns(1).build();
      // The watchdog first, so that its beforeRun marks the run before the blocking hook's.
      Future<Training.Outcome> run = training.start(g, model, metrics, List.of(watchdog, blocking, metrics), 20);

      StallReport report = reports.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertThat(report).as("a stall report").isNotNull();
      assertThat(report.kind()).isEqualTo(StallReport.Kind.STEP);
      assertThat(report.runName()).isEqualTo("stall-run");
      assertThat(report.limit()).isEqualTo(Duration.ofSeconds(2));
      assertThat(report.stalledFor()).isGreaterThan(Duration.ofSeconds(2));
      // Four runs completed, reading steps 0..3 (TrainOps orders train_op's increment after the
      // read copy); the fifth is stuck in the blocking hook.
      assertThat(report.lastGlobalStep()).isEqualTo(3);
      assertThat(report.inFlight()).isPresent();
      StallReport.InFlightRun inFlight = report.inFlight().get();
      assertThat(inFlight.threadName()).isEqualTo("stall-trainer");
      assertThat(inFlight.targets()).containsExactly("train_op");
      assertThat(inFlight.fetches()).isEmpty();
      assertThat(inFlight.runningFor()).isPositive();
      assertThat(report.summary())
          .startsWith("training run 'stall-run' stalled: no step completed for ")
          .contains("(stall timeout 2.0 s); last global step " + stats.globalStep() + "; run() in flight for ")
          .endsWith(" on thread \"stall-trainer\" fetching [] with targets [train_op]");
      // The dump leads with the training thread and shows where it waits.
      assertThat(report.threadDump()).startsWith("thread dump:\n\"stall-trainer\" #");
      String trainingThread = report.threadDump().split("\n\n")[0];
      assertThat(trainingThread)
          .contains("<- training thread")
          .contains("WAITING")
          .contains("java.util.concurrent.CountDownLatch.await")
          .contains("dev.tfmon.metrics.StallWatchdogTest$BlockingHook.beforeRun")
          .contains("dev.tfmon.session.HookedSession.run");
      assertThat(report.message()).isEqualTo(report.summary() + "\n" + report.threadDump());
      assertThat(stats.stalls()).isEqualTo(1);

      // Once per stall: further checks while still blocked report nothing more.
      for (int i = 0; i < 5; i++) {
        watchdog.check();
      }
      assertThat(reports).isEmpty();
      assertThat(watchdog.reports()).isEqualTo(1);

      blocking.release.countDown();
      Training.Outcome outcome = run.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertThat(outcome.loopSteps()).isEqualTo(20);
      assertThat(reports).isEmpty();
      assertThat(stats.stalls()).isEqualTo(1);
    }
  }

  @Test
  void staysQuietForASlowButProgressingLoopAndReportsAgainAfterProgressResumes() throws Exception {
    LinkedBlockingQueue<StallReport> reports = new LinkedBlockingQueue<>();
    TrainingStats stats = new TrainingStats("slow-run");
    AtomicLong fakeNanos = new AtomicLong(1_000_000_000L);
    try (Graph g = new Graph();
        Training training = new Training("slow-trainer");
        StallWatchdog watchdog =
            StallWatchdog.builder()
                .stallTimeout(Duration.ofSeconds(1))
                .clock(fakeNanos::get)
                .stats(stats)
                .sink(reports::add)
                .build()) {
      Model model = Model.build(g);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "slow-run").stats(stats).registerMBean(false).fetchEveryNRuns(1).build();
      long[] quietChecks = {0};
      // Each run takes 0.9 s of the fake clock (run 20 takes 1.5 s); the watchdog is checked in
      // the middle of every run, when the time since the last completed step is the longest.
      SessionRunHook slowStep =
          new SessionRunHook() {
            int runs;

            @Override
            public SessionRunArgs beforeRun(SessionRunContext context) {
              runs++;
              fakeNanos.addAndGet(runs == 20 ? 1_500_000_000L : 900_000_000L);
              watchdog.check();
              if (reports.isEmpty()) {
                quietChecks[0]++;
              }
              return null;
            }
          };
      Training.Outcome outcome =
          training.start(g, model, metrics, List.of(watchdog, slowStep, metrics), 40).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

      assertThat(outcome.loopSteps()).isEqualTo(40);
      // Quiet through 19 runs of 0.9 s (17.1 s of fake time, far past the 1 s timeout) ...
      assertThat(quietChecks[0]).isEqualTo(19);
      // ... one report for run 20, then quiet again for runs 21 to 40 once steps completed again.
      assertThat(reports).hasSize(1);
      StallReport report = reports.poll();
      assertThat(report.kind()).isEqualTo(StallReport.Kind.STEP);
      assertThat(report.stalledFor()).isEqualTo(Duration.ofMillis(1500));
      assertThat(report.lastGlobalStep()).isEqualTo(18);
      assertThat(report.inFlight().orElseThrow().runningFor()).isEqualTo(Duration.ofMillis(1500));
      assertThat(stats.stalls()).isEqualTo(1);
    }
  }

  @Test
  void reportsACloseThatOutlastsItsGracePeriod() throws Exception {
    LinkedBlockingQueue<StallReport> reports = new LinkedBlockingQueue<>();
    TrainingStats stats = new TrainingStats("close-run");
    BlockingEndHook blockingEnd = new BlockingEndHook();
    try (Graph g = new Graph();
        Training training = new Training("close-trainer");
        AutoCloseable releaseOnFailure = blockingEnd.release::countDown;
        StallWatchdog watchdog =
            StallWatchdog.builder()
                .stallTimeout(Duration.ofMinutes(5))
                .closeGracePeriod(Duration.ofMillis(300))
                .stats(stats)
                .sink(reports::add)
                .build()) {
      Model model = Model.build(g);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "close-run").stats(stats).registerMBean(false).fetchEveryNRuns(1).build();
      Future<Training.Outcome> run = training.start(g, model, metrics, List.of(watchdog, blockingEnd, metrics), 5);

      StallReport report = reports.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertThat(report).as("a close report").isNotNull();
      assertThat(report.kind()).isEqualTo(StallReport.Kind.CLOSE);
      assertThat(report.limit()).isEqualTo(Duration.ofMillis(300));
      assertThat(report.inFlight()).isEmpty();
      assertThat(report.summary())
          .startsWith("training run 'close-run': close() has been running for ")
          .endsWith("(grace period 0.3 s); last global step " + stats.globalStep() + "; no run() in flight");
      assertThat(report.threadDump().split("\n\n")[0])
          .startsWith("thread dump:\n\"close-trainer\" #")
          .contains("dev.tfmon.metrics.StallWatchdogTest$BlockingEndHook.end")
          .contains("dev.tfmon.session.AbstractMonitoredSession.close");
      assertThat(stats.stalls()).isEqualTo(1);

      blockingEnd.release.countDown();
      assertThat(run.get(DEADLINE.toSeconds(), TimeUnit.SECONDS).loopSteps()).isEqualTo(5);
      watchdog.check();
      assertThat(reports).isEmpty();
    }
  }

  @Test
  void builderRejectsMissingAndNonPositiveDurations() {
    assertThatThrownBy(() -> StallWatchdog.builder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a stall timeout, but none was set: call stallTimeout(...)");
    assertThatThrownBy(() -> StallWatchdog.builder().stallTimeout(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a positive stall timeout, but got PT0S");
    assertThatThrownBy(
            () -> StallWatchdog.builder().stallTimeout(Duration.ofSeconds(1)).closeGracePeriod(Duration.ofSeconds(-2)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a positive close grace period, but got PT-2S");
    assertThatThrownBy(() -> StallWatchdog.builder().stallTimeout(Duration.ofSeconds(1)).runName(" ").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a non-blank run name, but got \" \"");
  }
}

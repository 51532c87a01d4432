package dev.tfmon.session;

import static dev.tfmon.session.Fixtures.runFed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.AbortedException;
import dev.tfmon.errors.UnknownException;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.Fixtures.ConstAndIdentity;
import dev.tfmon.session.Fixtures.FakeHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TInt32;

/** The wrapper layers one by one: WrappedSession, CoordinatedSession, RecoverableSession. */
class SessionLayersTest {

  // Scenario MST-025, MST-031, MST-039.
  @Test
  void wrapperReportsGraphAndTargetOfTheRawSession_MST025_MST031_MST039() {
    try (Graph g = new Graph()) {
      Ops.create(g).constant(1);
      try (NativeSession raw = NativeSession.open(g)) {
        WrappedSession w = new WrappedSession(new RawSessionLayer(raw));
        assertThat(w.graph()).isSameAs(raw.graph());
        assertThat(w.target()).isEqualTo(raw.target());
        CoordinatedSession c = new CoordinatedSession(new RawSessionLayer(raw), new Coordinator(), Duration.ofSeconds(5));
        assertThat(c.graph()).isSameAs(g);
        assertThat(c.target()).isEqualTo("");
      }
      RecoverableSession r = new RecoverableSession(g, () -> new RawSessionLayer(NativeSession.open(g)));
      assertThat(r.graph()).isSameAs(g);
      assertThat(r.target()).isEqualTo("");
      r.close();
    }
  }

  // Scenario MST-026, MST-029.
  @Test
  void shouldStopIsTrueOnceClosedAndCloseTwiceIsFine_MST026_MST029() {
    try (Graph g = new Graph()) {
      ConstAndIdentity.build(g);
      WrappedSession w = new WrappedSession(new RawSessionLayer(NativeSession.open(g)));
      assertThat(w.shouldStop()).isFalse();
      w.close();
      assertThat(w.shouldStop()).isTrue();
      w.close();
      assertThat(w.shouldStop()).isTrue();
      assertThatThrownBy(() -> w.run(SessionRunArgs.builder().build()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
    }
  }

  // Scenario MST-027.
  @Test
  void shouldStopConsultsTheSubclassCheck_MST027() {
    try (Graph g = new Graph();
        NativeSession raw = NativeSession.open(g)) {
      AtomicInteger calls = new AtomicInteger();
      WrappedSession w =
          new WrappedSession(new RawSessionLayer(raw)) {
            @Override
            protected boolean checkStop() {
              return calls.incrementAndGet() > 3;
            }
          };
      List<Boolean> answers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        answers.add(w.shouldStop());
      }
      assertThat(answers).containsExactly(false, false, false, true);
    }
  }

  // Scenario MST-030, MST-032, MST-040.
  @Test
  void fetchesAndFeedsPassThroughEachLayer_MST030_MST032_MST040() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      try (NativeSession raw = NativeSession.open(g)) {
        assertThat(runFed(new RawSessionLayer(raw), f, 42)).isEqualTo(42);
        assertThat(runFed(new WrappedSession(new RawSessionLayer(raw)), f, 51)).isEqualTo(51);
        assertThat(runFed(new CoordinatedSession(new RawSessionLayer(raw), new Coordinator(), Duration.ofSeconds(1)), f, 42))
            .isEqualTo(42);
      }
      RecoverableSession r = new RecoverableSession(g, () -> new RawSessionLayer(NativeSession.open(g)));
      assertThat(runFed(r, f, 51)).isEqualTo(51);
      r.close();
    }
  }

  // Scenario MST-033, MST-034.
  @Test
  void coordinatedSessionStopsWhenTheCoordinatorStopsOrItCloses_MST033_MST034() {
    try (Graph g = new Graph()) {
      ConstAndIdentity.build(g);
      Coordinator coord = new Coordinator();
      CoordinatedSession c =
          new CoordinatedSession(new RawSessionLayer(NativeSession.open(g)), coord, Duration.ofSeconds(5));
      assertThat(c.shouldStop()).isFalse();
      coord.requestStop();
      assertThat(c.shouldStop()).isTrue();
      c.close();
      assertThat(c.shouldStop()).isTrue();

      CoordinatedSession d =
          new CoordinatedSession(new RawSessionLayer(NativeSession.open(g)), new Coordinator(), Duration.ofSeconds(5));
      assertThat(d.shouldStop()).isFalse();
      d.close();
      assertThat(d.shouldStop()).isTrue();
    }
  }

  // Scenario MST-037.
  @Test
  void closingTheCoordinatedSessionStopsItsThreads_MST037() throws Exception {
    try (Graph g = new Graph()) {
      ConstAndIdentity.build(g);
      Coordinator coord = new Coordinator();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Thread t =
            new Thread(
                () -> {
                  while (!coord.shouldStop()) {
                    coord.waitForStop(Duration.ofMillis(10));
                  }
                },
                "poller-" + i);
        coord.registerThread(t);
        t.start();
        threads.add(t);
      }
      CoordinatedSession c =
          new CoordinatedSession(new RawSessionLayer(NativeSession.open(g)), coord, Duration.ofSeconds(10));
      c.close();
      for (Thread t : threads) {
        assertThat(t.isAlive()).as(t.getName()).isFalse();
      }
      assertThat(coord.shouldStop()).isTrue();
      assertThat(c.shouldStop()).isTrue();
    }
  }

  @Test
  void coordinatedRunThrowsTheReportedPreemptionAsRootCause() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var p = tf.withName("p").placeholder(TInt32.class);
      Coordinator coord = new Coordinator(Set.of());
      CoordinatedSession c =
          new CoordinatedSession(new RawSessionLayer(NativeSession.open(g)), coord, Duration.ofSeconds(5));
      coord.requestStop(new AbortedException("ps went away"));
      // Running p unfed fails with INVALID_ARGUMENT; the coordinator's ABORTED is the root cause.
      assertThatThrownBy(() -> c.run(SessionRunArgs.fetch(p)))
          .isInstanceOf(AbortedException.class)
          .hasMessageContaining("ps went away")
          .satisfies(e -> assertThat(e.getSuppressed()).isNotEmpty());
      assertThatThrownBy(c::close).isInstanceOf(AbortedException.class);
    }
  }

  @Test
  void coordinatedRunKeepsItsOwnErrorWhenTheReportIsNoPreemption() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var p = tf.withName("p").placeholder(TInt32.class);
      Coordinator coord = new Coordinator(Set.of());
      CoordinatedSession c =
          new CoordinatedSession(new RawSessionLayer(NativeSession.open(g)), coord, Duration.ofSeconds(5));
      coord.requestStop(new UnknownException("unrelated"));
      assertThatThrownBy(() -> c.run(SessionRunArgs.fetch(p)))
          .isInstanceOf(dev.tfmon.errors.InvalidArgumentException.class);
      assertThatThrownBy(c::close).isInstanceOf(UnknownException.class).hasMessageContaining("unrelated");
    }
  }

  @Test
  void recoverableSessionRecreatesAfterAbortedAndRetriesTheSameCall() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      AtomicInteger created = new AtomicInteger();
      AtomicInteger failuresLeft = new AtomicInteger(2);
      List<RecoveryEvent> events = new ArrayList<>();
      RecoverableSession r =
          new RecoverableSession(
              g,
              () -> {
                created.incrementAndGet();
                return new WrappedSession(new RawSessionLayer(NativeSession.open(g))) {
                  @Override
                  public RunResult run(SessionRunArgs args) {
                    if (failuresLeft.getAndDecrement() > 0) {
                      throw new AbortedException("lost it");
                    }
                    return super.run(args);
                  }
                };
              },
              RecoveryPolicy.tf1(),
              events::add,
              null,
              Coordinator.Sleeper.system(),
              System::nanoTime);
      assertThat(runFed(r, f, 7)).isEqualTo(7);
      assertThat(created).hasValue(3);
      assertThat(r.recoveries()).isEqualTo(2);
      assertThat(events).extracting(RecoveryEvent::attempt).containsExactly(1, 2);
      assertThat(events.get(0).cause()).hasMessageContaining("lost it");
      r.close();
    }
  }

  @Test
  void recoveryPolicyBacksOffAndGivesUpPastItsBudgetWithEveryCauseAttached() {
    try (Graph g = new Graph()) {
      ConstAndIdentity f = ConstAndIdentity.build(g);
      List<Duration> sleeps = new ArrayList<>();
      long[] now = {0};
      AtomicInteger n = new AtomicInteger();
      RecoveryPolicy policy =
          RecoveryPolicy.builder()
              .backoff(Duration.ofMillis(100), Duration.ofMillis(250))
              .budget(3, Duration.ofMinutes(1))
              .build();
      RecoverableSession r =
          new RecoverableSession(
              g,
              () ->
                  new WrappedSession(new RawSessionLayer(NativeSession.open(g))) {
                    @Override
                    public RunResult run(SessionRunArgs args) {
                      throw new dev.tfmon.errors.UnavailableException("gone " + n.incrementAndGet());
                    }
                  },
              policy,
              e -> {},
              null,
              d -> {
                sleeps.add(d);
                now[0] += d.toNanos();
              },
              () -> now[0]);
      assertThatThrownBy(() -> runFed(r, f, 1))
          .isInstanceOf(dev.tfmon.errors.UnavailableException.class)
          .hasMessageContaining("gone 4")
          .satisfies(
              e ->
                  assertThat(e.getSuppressed())
                      .extracting(Throwable::getMessage)
                      .containsExactly(
                          "UNAVAILABLE: gone 1", "UNAVAILABLE: gone 2", "UNAVAILABLE: gone 3"));
      assertThat(sleeps)
          .containsExactly(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100));
      assertThat(policy.backoffFor(1)).isEqualTo(Duration.ofMillis(100));
      assertThat(policy.backoffFor(2)).isEqualTo(Duration.ofMillis(200));
      assertThat(policy.backoffFor(3)).isEqualTo(Duration.ofMillis(250));
      r.close();
    }
  }

  @Test
  void recoveryPolicyRejectsContradictions() {
    assertThatThrownBy(
            () -> RecoveryPolicy.builder().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBackoff >= initialBackoff");
    assertThatThrownBy(() -> RecoveryPolicy.builder().budget(-1, Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void hookedSessionMergesRunOptionsAsTensorFlowDoes() {
    RunOptions.Builder target = RunOptions.newBuilder().setTraceLevelValue(2).setTimeoutInMs(30000);
    RunPlan.mergeRunOptions(
        target,
        RunOptions.newBuilder()
            .setTraceLevelValue(1)
            .setTimeoutInMs(60000)
            .setOutputPartitionGraphs(true)
            .setReportTensorAllocationsUponOom(true)
            .build());
    RunOptions merged = target.build();
    assertThat(merged.getTraceLevelValue()).isEqualTo(2);
    assertThat(merged.getTimeoutInMs()).isEqualTo(60000);
    assertThat(merged.getOutputPartitionGraphs()).isTrue();
    assertThat(merged.getReportTensorAllocationsUponOom()).isTrue();
  }

  static FakeHook unused() {
    return new FakeHook();
  }
}

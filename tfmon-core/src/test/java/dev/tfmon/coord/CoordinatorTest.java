package dev.tfmon.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.AbortedException;
import dev.tfmon.errors.OutOfRangeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CoordinatorTest {
  private static final long DEADLINE_SECONDS = 10;

  /** Threads a test started; each test must leave none running. */
  private final List<Thread> started = new ArrayList<>();

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    for (Thread t : started) {
      t.join(TimeUnit.SECONDS.toMillis(DEADLINE_SECONDS));
      assertThat(t.isAlive()).as("thread %s still alive after the test", t.getName()).isFalse();
    }
  }

  private Thread thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    started.add(t);
    return t;
  }

  private static void await(CountDownLatch latch, String what) {
    try {
      assertThat(latch.await(DEADLINE_SECONDS, TimeUnit.SECONDS)).as("waiting for " + what).isTrue();
    } catch (InterruptedException e) {
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis); // the thread's simulated work, not a wait for a condition
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test // CRT-01
  void crt01_stopApi() {
    Coordinator coord = new Coordinator();
    assertThat(coord.shouldStop()).as("a new coordinator is not stopped").isFalse();
    assertThat(coord.waitForStop(Duration.ofMillis(10))).as("times out without a stop").isFalse();
    coord.requestStop();
    assertThat(coord.shouldStop()).as("stopped after requestStop").isTrue();
    assertThat(coord.waitForStop(Duration.ofMillis(10))).as("stop seen by waitForStop").isTrue();
  }

  @Test // CRT-02
  void crt02_stopAsync() {
    Coordinator coord = new Coordinator();
    CountDownLatch e = new CountDownLatch(1);
    CountDownLatch f = new CountDownLatch(1);
    Thread t =
        thread(
            "stopper",
            () -> {
              await(e, "event E");
              coord.requestStop();
              f.countDown();
            });
    assertThat(coord.shouldStop()).isFalse();
    assertThat(coord.waitForStop(Duration.ofMillis(100))).isFalse();
    t.start();
    assertThat(coord.shouldStop()).as("the thread has not requested a stop yet").isFalse();
    assertThat(coord.waitForStop(Duration.ofMillis(10))).isFalse();
    e.countDown();
    await(f, "event F");
    assertThat(coord.waitForStop(Duration.ofMillis(50))).as("stop requested by the thread").isTrue();
    assertThat(coord.shouldStop()).isTrue();
  }

  @Test // CRT-03
  void crt03_joinWaitsForTheGivenThreads() {
    Coordinator coord = new Coordinator();
    List<Thread> threads = new ArrayList<>();
    for (long millis : new long[] {10, 20, 10}) {
      threads.add(thread("sleeper-" + threads.size(), () -> sleepMillis(millis)));
    }
    threads.forEach(Thread::start);
    coord.join(threads);
    assertThat(threads).as("all threads ended").noneMatch(Thread::isAlive);
    assertThat(coord.joined()).isTrue();
  }

  @Test // CRT-04
  void crt04_joinWaitsForAllRegisteredThreads() {
    Coordinator coord = new Coordinator();
    CountDownLatch registered = new CountDownLatch(3);
    List<Thread> threads = new ArrayList<>();
    for (long millis : new long[] {10, 20, 10}) {
      Thread[] self = new Thread[1];
      self[0] =
          thread(
              "registered-" + threads.size(),
              () -> {
                coord.registerThread(self[0]);
                registered.countDown();
                sleepMillis(millis);
              });
      threads.add(self[0]);
    }
    threads.forEach(Thread::start);
    await(registered, "the three threads to register");
    coord.join();
    assertThat(threads).as("join() covers registered threads").noneMatch(Thread::isAlive);
    assertThat(coord.registeredThreads()).as("join forgets the registered threads").isEmpty();
  }

  @Test // CRT-05
  void crt05_joinWaitsForRegisteredAndGivenThreads() {
    Coordinator coord = new Coordinator();
    CountDownLatch registered = new CountDownLatch(2);
    List<Thread> threads = new ArrayList<>();
    long[] millis = {10, 20, 10};
    for (int i = 0; i < 3; i++) {
      boolean registers = i != 1;
      long sleep = millis[i];
      Thread[] self = new Thread[1];
      self[0] =
          thread(
              "thread-" + i,
              () -> {
                if (registers) {
                  coord.registerThread(self[0]);
                  registered.countDown();
                }
                sleepMillis(sleep);
              });
      threads.add(self[0]);
    }
    threads.forEach(Thread::start);
    await(registered, "threads 0 and 2 to register");
    coord.join(List.of(threads.get(1)));
    assertThat(threads).as("registered threads plus the given one ended").noneMatch(Thread::isAlive);
  }

  @Test // CRT-07
  void crt07_joinWithoutGraceExpiresWhenIgnoringLiveThreads() {
    List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
    Coordinator coord =
        new Coordinator(Set.of(OutOfRangeException.class), sleeps::add); // fake grace clock
    CountDownLatch releaseA = new CountDownLatch(1);
    CountDownLatch stopRequested = new CountDownLatch(1);
    CountDownLatch releaseB = new CountDownLatch(1);
    Thread a =
        thread(
            "A",
            () -> {
              await(releaseA, "release of A");
              coord.requestStop();
              stopRequested.countDown();
            });
    Thread b = thread("B", () -> await(releaseB, "end of the test"));
    try {
      a.start();
      b.start();
      releaseA.countDown();
      await(stopRequested, "A to request a stop");
      coord.join(List.of(a, b), Duration.ofSeconds(1), true);
      assertThat(b.isAlive()).as("join returned although B is still alive").isTrue();
      assertThat(sleeps).as("the whole grace period was spent").isNotEmpty();
    } finally {
      releaseB.countDown();
    }
  }

  @Test
  void joinWithLiveThreadsAfterTheGracePeriodNamesThem() {
    Coordinator coord = new Coordinator(Set.of(OutOfRangeException.class), d -> {});
    CountDownLatch release = new CountDownLatch(1);
    Thread immortal = thread("immortal-worker", () -> await(release, "end of the test"));
    try {
      immortal.start();
      coord.requestStop();
      // issue 15 item 9: the message in our own words (TF's is carried over no more)
      assertThatThrownBy(() -> coord.join(List.of(immortal), Duration.ofSeconds(1), false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "threads still alive after the stop grace period of PT1S: immortal-worker (they do not"
                  + " check shouldStop(), or are blocked; give them a longer grace period or join with"
                  + " ignoreLiveThreads)");
      assertThat(coord.joined()).isTrue();
    } finally {
      release.countDown();
    }
  }

  @Test
  void graceLoopSleepsOneMillisecondDoublingBoundedByTheRemainingGrace() {
    List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
    Coordinator coord = new Coordinator(Set.of(OutOfRangeException.class), sleeps::add);
    CountDownLatch release = new CountDownLatch(1);
    Thread immortal = thread("immortal", () -> await(release, "end of the test"));
    try {
      immortal.start();
      coord.requestStop();
      coord.join(List.of(immortal), Duration.ofSeconds(1), true);
    } finally {
      release.countDown();
    }
    List<Long> millis = new ArrayList<>();
    sleeps.forEach(d -> millis.add(d.toMillis()));
    // 1+2+...+256 = 511 ms, then the remaining 489 ms, then the 1 ms minimum once the grace is 0.
    assertThat(millis).containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 489L, 1L);
  }

  @Test // CRT-09
  void crt09_joinRaisesTheFirstReportedException() {
    Coordinator coord = new Coordinator();
    CountDownLatch release1 = new CountDownLatch(1);
    CountDownLatch release2 = new CountDownLatch(1);
    RuntimeException first = new IllegalStateException("First");
    Thread t1 =
        thread(
            "reporter-1",
            () -> {
              await(release1, "release of thread 1");
              try {
                throw first;
              } catch (RuntimeException e) {
                coord.requestStop(e);
              }
              release2.countDown();
            });
    Thread t2 =
        thread(
            "reporter-2",
            () -> {
              await(release2, "release of thread 2");
              try {
                throw new IllegalStateException("Too late");
              } catch (RuntimeException e) {
                coord.requestStop(e);
              }
            });
    t1.start();
    t2.start();
    release1.countDown();
    assertThatThrownBy(() -> coord.join(List.of(t1, t2)))
        .as("the first report wins")
        .isSameAs(first)
        .hasMessage("First");
  }

  @Test // CRT-10
  void crt10_joinIgnoresOutOfRange() {
    Coordinator coord = new Coordinator();
    CountDownLatch release = new CountDownLatch(1);
    Thread t =
        thread(
            "end-of-input",
            () -> {
              await(release, "release");
              coord.requestStop(new OutOfRangeException("First"));
            });
    t.start();
    release.countDown();
    coord.join(List.of(t));
    assertThat(coord.shouldStop()).as("the clean stop still stopped the coordinator").isTrue();
    assertThat(coord.recordedException()).as("OutOfRange is not recorded").isEmpty();
  }

  @Test // CRT-12
  void crt12_joinRaisesTheFirstExceptionReportedThroughStopOnException() {
    Coordinator coord = new Coordinator();
    CountDownLatch release1 = new CountDownLatch(1);
    CountDownLatch release2 = new CountDownLatch(1);
    Thread t1 =
        thread(
            "guarded-1",
            () -> {
              await(release1, "release of thread 1");
              coord.stopOnException(
                  () -> {
                    throw new IllegalStateException("First");
                  });
              release2.countDown();
            });
    Thread t2 =
        thread(
            "guarded-2",
            () -> {
              await(release2, "release of thread 2");
              coord.stopOnException(
                  () -> {
                    throw new IllegalStateException("Too late");
                  });
            });
    t1.start();
    t2.start();
    release1.countDown();
    assertThatThrownBy(() -> coord.join(List.of(t1, t2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("First");
  }

  @Test
  void requestStopAfterJoinThrowsTheReportAtOnceAndClearStopResets() {
    // The exception-object form of coordinator_test's testRequestStopRaisesIfJoined.
    Coordinator coord = new Coordinator();
    coord.join(List.of());
    RuntimeException tooLate = new AbortedException("Too late");
    assertThatThrownBy(() -> coord.requestStop(tooLate)).isSameAs(tooLate);
    assertThat(coord.recordedException()).as("nothing recorded after join").isEmpty();
    coord.requestStop(new OutOfRangeException("clean"));
    assertThat(coord.shouldStop()).as("a clean stop after join only stops").isTrue();

    coord.clearStop();
    assertThat(coord.joined()).isFalse();
    assertThat(coord.shouldStop()).isFalse();
    coord.requestStop(new IllegalArgumentException("After clear"));
    assertThatThrownBy(() -> coord.join(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("After clear");
    assertThatThrownBy(coord::raiseRequestedException)
        .as("join does not clear the recorded exception")
        .hasMessage("After clear");
  }

  @Test
  void aStopWithoutExceptionWinsOverLaterReports() {
    Coordinator coord = new Coordinator();
    coord.requestStop();
    coord.requestStop(new IllegalStateException("dropped"));
    coord.raiseRequestedException();
    coord.join(List.of());
    assertThat(coord.recordedException()).isEmpty();
  }

  @Test
  void checkedExceptionsAreWrappedWithTheOriginalAsCause() throws Exception {
    Coordinator coord = new Coordinator();
    IOException disk = new IOException("disk full");
    Integer result =
        coord.stopOnException(
            () -> {
              throw disk;
            });
    assertThat(result).as("stopOnException returns null after a failure").isNull();
    assertThatThrownBy(coord::raiseRequestedException)
        .isInstanceOf(ReportedCheckedException.class)
        .hasCause(disk)
        .hasMessageContaining("disk full");
    assertThat(coord.stopOnException(() -> 42)).as("a body's result is returned").isEqualTo(42);
  }

  @Test
  void cleanStopTypesAreConfigurable() {
    Coordinator none = new Coordinator(Set.of());
    OutOfRangeException endOfInput = new OutOfRangeException("End of sequence");
    none.requestStop(endOfInput);
    assertThat(none.recordedException()).as("no clean-stop type: recorded").contains(endOfInput);

    Coordinator aborts = new Coordinator(Set.of(AbortedException.class));
    aborts.requestStop(new AbortedException("preempted"));
    assertThat(aborts.shouldStop()).isTrue();
    assertThat(aborts.recordedException()).isEmpty();
  }

  @Test
  void badArgumentsAreRejectedWithTheValue() {
    Coordinator coord = new Coordinator();
    assertThatThrownBy(() -> coord.join(List.of(), Duration.ofMillis(-5), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-0.005S");
    assertThatThrownBy(() -> new LooperThread(coord, Duration.ofSeconds(-1), () -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-1S");
  }
}

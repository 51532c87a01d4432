package dev.tfmon.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LooperThreadTest {

  @Test // CRT-16
  void crt16_targetIsCalledUntilItRequestsAStop() {
    Coordinator coord = new Coordinator();
    AtomicInteger n = new AtomicInteger(3);
    AtomicInteger calls = new AtomicInteger();
    Thread looper =
        LooperThread.loop(
            coord,
            Duration.ZERO,
            () -> {
              calls.incrementAndGet();
              if (n.get() == 0) {
                coord.requestStop();
              } else {
                n.decrementAndGet();
              }
            });
    coord.join(List.of(looper));
    assertThat(n.get()).as("the target counted down to 0").isZero();
    assertThat(calls.get()).as("called until it asked to stop").isEqualTo(4);
    assertThat(looper.isAlive()).isFalse();
    assertThat(looper.isDaemon()).as("loopers are daemons, as in TensorFlow").isTrue();
  }

  @Test
  void backToBackLooperViaCoordinatorIsRegisteredAndStopsOnRequest() {
    Coordinator coord = new Coordinator();
    AtomicInteger calls = new AtomicInteger();
    Thread looper =
        coord.looper(
            null,
            () -> {
              if (calls.incrementAndGet() == 100) {
                coord.requestStop();
              }
            });
    assertThat(coord.registeredThreads()).as("registered at construction").contains(looper);
    coord.join();
    assertThat(calls.get()).isEqualTo(100);
    assertThat(looper.isAlive()).isFalse();
  }

  @Test
  void fixedRateLooperRunsStartAndStopHooksAroundItsCalls() {
    Coordinator coord = new Coordinator();
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    LooperThread looper =
        new LooperThread(coord, Duration.ofMillis(5), null) {
          private int calls;

          @Override
          protected void startLoop() {
            events.add("start");
          }

          @Override
          protected void runLoop() {
            events.add("run");
            if (++calls == 3) {
              coord.requestStop();
            }
          }

          @Override
          protected void stopLoop() {
            events.add("stop");
          }
        };
    looper.start();
    coord.join();
    assertThat(events).containsExactly("start", "run", "run", "run", "stop");
  }

  @Test
  void anExceptionFromTheTargetStopsTheCoordinatorAndReachesJoin() {
    Coordinator coord = new Coordinator();
    AtomicInteger calls = new AtomicInteger();
    Thread looper =
        LooperThread.loop(
            coord,
            Duration.ofMillis(1),
            () -> {
              if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("target failed on call 2");
              }
            });
    assertThatThrownBy(() -> coord.join(List.of(looper)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("target failed on call 2");
    assertThat(calls.get()).as("the loop ended with the failure").isEqualTo(2);
    assertThat(looper.isAlive()).isFalse();
  }
}

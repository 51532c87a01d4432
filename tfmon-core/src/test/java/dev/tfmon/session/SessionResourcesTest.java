package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.hook.Hooks;
import dev.tfmon.session.Fixtures.Stepping;
import dev.tfmon.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;

/** Opening and closing monitored sessions gives back every thread (and native session). */
class SessionResourcesTest {

  @Test
  void aThousandMonitoredSessionsLeaveNoThreadBehind() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      // Warm up: TensorFlow starts its own thread pools on first use.
      runOnce(g, st);
      int before = Thread.activeCount();
      for (int i = 0; i < 1000; i++) {
        runOnce(g, st);
      }
      Await.until(
          "the sessions' threads to end (" + before + " threads before)",
          Duration.ofSeconds(20),
          Thread::activeCount,
          n -> n <= before);
    }
  }

  private static void runOnce(Graph g, Stepping st) {
    try (MonitoredSession s =
        MonitoredSession.builder(g)
            .hook(Hooks.afterCreateSession((session, coord) -> {
              Thread t = new Thread(() -> coord.waitForStop(Duration.ofMinutes(1)), "waits-for-stop");
              coord.registerThread(t);
              t.start();
            }))
            .build()) {
      s.run(st.doStep()).close();
    }
  }
}

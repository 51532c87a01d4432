package dev.tfmon.session;

import static dev.tfmon.session.Fixtures.longOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.Fixtures.FakeHook;
import dev.tfmon.session.Fixtures.RaiseOnceAtCountN;
import dev.tfmon.session.Fixtures.Stepping;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TInt32;

class SingularMonitoredSessionTest {

  // Scenario MST-095.
  @Test
  void initializesTheModelByDefault_MST095() {
    try (Graph g = new Graph()) {
      Variable<TInt32> v = Ops.create(g).withName("v").variable(Ops.create(g).constant(0));
      try (SingularMonitoredSession s = SingularMonitoredSession.builder(g).build()) {
        assertThat(Fixtures.intOf(s.run(v))).isZero();
      }
    }
  }

  // Scenario MST-097.
  @Test
  void outOfRangeIsACleanEnd_MST097() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      RaiseOnceAtCountN hook = new RaiseOnceAtCountN(2, () -> new OutOfRangeException("EOI"));
      FakeHook watcher = new FakeHook();
      SingularMonitoredSession s = SingularMonitoredSession.builder(g).hook(hook).hook(watcher).build();
      AtomicBoolean reached = new AtomicBoolean();
      s.runUntilStopped(
          session -> {
            if (watcher.beforeRun.get() == 0) {
              assertThat(longOf(session.run(st.value()))).isZero();
              assertThat(session.shouldStop()).isFalse();
              return;
            }
            session.run(st.doStep()).close();
            reached.set(true);
          });
      assertThat(reached).isFalse();
      s.close();
      assertThat(s.shouldStop()).isTrue();
      assertThat(watcher.end).hasValue(1);
    }
  }

  // Scenario MST-098.
  @Test
  void anErrorReportedToTheCoordinatorLetsRunsGoOnAndSurfacesAtClose_MST098() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      assertThatThrownBy(
              () -> {
                try (SingularMonitoredSession s = SingularMonitoredSession.builder(g).build()) {
                  assertThat(longOf(s.run(st.value()))).isZero();
                  s.coordinator().requestStop(new IllegalStateException("a thread wants to stop"));
                  assertThat(longOf(s.run(st.value()))).isZero();
                }
              })
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("a thread wants to stop");
    }
  }

  @Test
  void shouldStopItselfThrowsAReportedErrorWithoutRecovery() {
    try (Graph g = new Graph()) {
      Stepping.build(g);
      SingularMonitoredSession s = SingularMonitoredSession.builder(g).build();
      s.coordinator().requestStop(new IllegalStateException("boom in a thread"));
      assertThatThrownBy(s::shouldStop).hasMessage("boom in a thread");
      assertThatThrownBy(s::close).hasMessage("boom in a thread");
    }
  }

  // Scenario MST-100, MST-101.
  @Test
  void graphAndRawSession_MST100_MST101() {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      try (SingularMonitoredSession s = SingularMonitoredSession.builder(g).build()) {
        assertThat(s.graph()).isSameAs(g);
        NativeSession raw = s.rawSession();
        assertThat(raw).isInstanceOf(NativeSession.class);
        assertThat(raw.graph()).isSameAs(g);
        assertThat(longOf(raw.runner().fetch(st.value()).run())).isZero();
      }
    }
  }

  // issue 11 item 21: TF 1.x returns None after close; here asking is an error that says so.
  @Test
  void rawSessionAfterCloseIsAnErrorThatSaysWhy() {
    try (Graph g = new Graph()) {
      Stepping.build(g);
      SingularMonitoredSession s = SingularMonitoredSession.builder(g).build();
      NativeSession raw = s.rawSession();
      s.close();
      assertThat(s.isClosed()).isTrue();
      assertThatThrownBy(s::rawSession)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "this SingularMonitoredSession is closed, and its raw session was closed with it: take the"
                  + " raw session before close()");
      assertThatThrownBy(() -> raw.runner().fetch("global_step").run())
          .as("the raw session was closed with the monitored session")
          .isInstanceOf(IllegalStateException.class);
    }
  }

  // issue 11 item 21: null stands for "not given" in the Python-style builder, master included.
  @Test
  void pythonStyleBuilderTakesNullForEveryArgumentButTheScaffold(@TempDir Path dir) {
    try (Graph g = new Graph()) {
      Stepping st = Stepping.build(g);
      try (SingularMonitoredSession s =
          SingularMonitoredSession.builder(Scaffold.of(g), null, null, null, null).build()) {
        assertThat(s.rawSession().target()).isEmpty();
        assertThat(longOf(s.run(st.value()))).isZero();
      }
      assertThatThrownBy(() -> SingularMonitoredSession.builder(null, "", null, null, null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("scaffold");
      assertThatThrownBy(() -> SingularMonitoredSession.builder(Scaffold.of(g), null, null, dir, dir + "/model.ckpt-1"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("checkpointDir")
          .hasMessageContaining("checkpointPath");
    }
  }
}

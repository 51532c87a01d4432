package dev.tfmon.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.errors.AbortedException;
import dev.tfmon.errors.StatusCode;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.errors.UnavailableException;
import dev.tfmon.testing.ChildJvm;
import dev.tfmon.testing.ClusterTaskMain;
import dev.tfmon.testing.FreePorts;
import dev.tfmon.testing.Await;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Identity;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * The status codes that recovery depends on, produced for real by TensorFlow's gRPC runtime: a ps
 * task killed with SIGKILL makes the next run UNAVAILABLE, and the same task restarted on the same
 * port makes it ABORTED (the worker's session handle died with the old ps).
 */
@Tag("multiprocess")
class ClusterStatusCodesTest {
  private static final Duration START = Duration.ofSeconds(60);
  private static final RunOptions TIMEOUT = RunOptions.newBuilder().setTimeoutInMs(20_000).build();

  @Test
  void killedPsIsUnavailableAndRestartedPsIsAborted() {
    String ps = "127.0.0.1:" + FreePorts.next();
    String worker = "127.0.0.1:" + FreePorts.next();
    String[] cluster = {"ps=" + ps, "worker=" + worker};
    ChildJvm psTask = ClusterTaskMain.start("ps", cluster);
    try (ChildJvm workerTask = ClusterTaskMain.start("worker", cluster);
        Graph g = new Graph()) {
      String target = ClusterTaskMain.target(workerTask.awaitLine("READY ", START));
      psTask.awaitLine("READY ", START);
      assertThat(target).isEqualTo("grpc://" + worker);

      Ops tf = Ops.create(g);
      Ops onPs = tf.withDevice(DeviceSpec.newBuilder().job("ps").task(0).build());
      Variable<TFloat32> v = onPs.withName("v").variable(Shape.scalar(), TFloat32.class);
      Assign<TFloat32> init = onPs.withName("v_init").assign(v, tf.constant(5f));
      Identity<TFloat32> read = tf.withName("read").identity(v);

      try (NativeSession session = NativeSession.open(g, target, null)) {
        session.runner().addTarget(init).options(TIMEOUT).run().close();
        assertThat(readValue(session, read)).isEqualTo(5f);

        psTask.kill();
        TensorFlowStatusException whilePsDown = firstFailure(session, read);
        assertThat(whilePsDown).isInstanceOf(UnavailableException.class);
        assertThat(whilePsDown.code()).isEqualTo(StatusCode.UNAVAILABLE);
        assertThat(whilePsDown.isPreemption()).isTrue();

        psTask = ClusterTaskMain.start("ps", cluster);
        psTask.awaitLine("READY ", START);
        TensorFlowStatusException afterRestart = firstFailureOtherThanUnavailable(session, read);
        assertThat(afterRestart).isInstanceOf(AbortedException.class);
        assertThat(afterRestart.code().value()).isEqualTo(10);
        assertThat(afterRestart.tensorflowMessage()).containsIgnoringCase("not found");
      }

      // A new session on the same target works again: the situation recovery relies on.
      try (NativeSession fresh = NativeSession.open(g, target, null)) {
        fresh.runner().addTarget(init).options(TIMEOUT).run().close();
        assertThat(readValue(fresh, read)).isEqualTo(5f);
      }
    } finally {
      psTask.close();
    }
  }



  private static float readValue(NativeSession session, Identity<TFloat32> read) {
    try (RunResult r = session.runner().fetch(read).options(TIMEOUT).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  /** Runs until a run fails (bounded), returning the failure. */
  private static TensorFlowStatusException firstFailure(
      NativeSession session, Identity<TFloat32> read) {
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        readValue(session, read);
      } catch (TensorFlowStatusException e) {
        return e;
      }
    }
    throw new AssertionError("50 runs succeeded with the ps task killed");
  }

  /** Runs until a failure that is not UNAVAILABLE (the restarted ps may need a moment). */
  private static TensorFlowStatusException firstFailureOtherThanUnavailable(
      NativeSession session, Identity<TFloat32> read) {
    return Await.until(
        "a failure other than UNAVAILABLE from the restarted ps",
        Duration.ofSeconds(90),
        () -> failureOf(session, read),
        e -> !(e instanceof UnavailableException));
  }

  private static TensorFlowStatusException failureOf(NativeSession session, Identity<TFloat32> read) {
    try {
      readValue(session, read);
    } catch (TensorFlowStatusException e) {
      return e;
    }
    throw new AssertionError("a run succeeded on a session whose ps task was restarted");
  }

}

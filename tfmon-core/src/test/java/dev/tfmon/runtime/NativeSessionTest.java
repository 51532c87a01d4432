package dev.tfmon.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.DeadlineExceededException;
import dev.tfmon.errors.FailedPreconditionException;
import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.errors.NotFoundException;
import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.errors.StatusCode;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.io.QueueClose;
import org.tensorflow.op.io.QueueDequeue;
import org.tensorflow.op.math.Add;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

class NativeSessionTest {

  @Test
  void runsWithFeedsFetchesAndTargets() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Add<TFloat32> y = tf.withName("y").math.add(x, tf.constant(2f));
      Variable<TFloat32> v = tf.withName("v").variable(tf.constant(10f));
      var bump = tf.withName("bump").assignAdd(v, tf.constant(1f));
      try (NativeSession s = NativeSession.open(g);
          TFloat32 three = TFloat32.scalarOf(3f)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        try (RunResult r = s.runner().feed(x, three).fetch(y).fetch("v").addTarget(bump).run()) {
          assertThat(r.size()).isEqualTo(2);
          assertThat(r.names()).containsExactly("y:0", "v:0");
          assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(5f);
          assertThat(((TFloat32) r.get("y")).getFloat()).isEqualTo(5f);
          assertThat(r.metadata()).isEmpty();
        }
        try (RunResult r = s.runner().feed("x:0", three).fetch(v).run()) {
          assertThat(((TFloat32) r.get(v)).getFloat()).isEqualTo(11f);
        }
      }
    }
  }

  @Test
  void aFetchedVariableIsAValueNotAViewOfTheVariable() {
    // TensorFlow hands back a ref variable's own buffer; Python copies it into numpy, and so does
    // NativeSession, so a later update of the variable cannot change a result already held.
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> v = tf.withName("v").variable(tf.constant(1f));
      var bump = tf.withName("bump").assignAdd(v, tf.constant(10f));
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        try (RunResult before = s.runner().fetch(v).run()) {
          s.runner().addTarget(bump).run().close();
          assertThat(((TFloat32) before.get(0)).getFloat()).isEqualTo(1f);
        }
        try (RunResult after = s.runner().fetch(v).run()) {
          assertThat(((TFloat32) after.get(0)).getFloat()).isEqualTo(11f);
        }
      }
    }
  }

  @Test
  void fullTraceReturnsStepStats() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      var sum = tf.withName("sum").math.add(x, tf.constant(2f));
      RunOptions trace =
          RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
      try (NativeSession s = NativeSession.open(g);
          TFloat32 one = TFloat32.scalarOf(1f);
          RunResult r = s.runner().feed(x, one).fetch(sum).options(trace).withMetadata().run()) {
        assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(3f);
        assertThat(r.metadata()).isPresent();
        var stats = r.metadata().get().getStepStats();
        assertThat(stats.getDevStatsCount()).isPositive();
        assertThat(stats.getDevStatsList())
            .flatMap(d -> d.getNodeStatsList())
            .anySatisfy(n -> assertThat(n.getNodeName()).isEqualTo("sum"));
      }
    }
  }

  @Test
  void wrongDtypeFeedIsInvalidArgument() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      var y = tf.math.add(x, tf.constant(1f));
      try (NativeSession s = NativeSession.open(g);
          TInt32 wrong = TInt32.scalarOf(1)) {
        assertThatThrownBy(() -> s.runner().feed(x, wrong).fetch(y).run())
            .isInstanceOf(InvalidArgumentException.class)
            .satisfies(e -> {
              TensorFlowStatusException te = (TensorFlowStatusException) e;
              assertThat(te.code()).isEqualTo(StatusCode.INVALID_ARGUMENT);
              assertThat(te.code().value()).isEqualTo(3);
              assertThat(te.getMessage()).startsWith("INVALID_ARGUMENT: ");
              assertThat(te.tensorflowMessage()).contains("float").contains("int32");
            });
      }
    }
  }

  @Test
  void readingAnUninitializedVariableIsFailedPrecondition() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> v = tf.withName("weights").variable(Shape.scalar(), TFloat32.class);
      try (NativeSession s = NativeSession.open(g)) {
        assertThatThrownBy(() -> s.runner().fetch(v).run())
            .isInstanceOf(FailedPreconditionException.class)
            .hasMessageContaining("weights");
      }
    }
  }

  @Test
  void dequeueFromClosedEmptyQueueIsOutOfRange() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue q = tf.io.fifoQueue(List.of(TFloat32.class));
      QueueClose close = tf.io.queueClose(q);
      QueueDequeue deq = tf.io.queueDequeue(q, List.of(TFloat32.class));
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(close).run().close();
        assertThatThrownBy(() -> s.runner().fetch(deq.components().get(0)).run())
            .isInstanceOf(OutOfRangeException.class)
            .satisfies(e -> assertThat(((TensorFlowStatusException) e).code().value()).isEqualTo(11));
      }
    }
  }

  @Test
  void runTimeoutOnBlockingDequeueIsDeadlineExceeded() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue q = tf.io.fifoQueue(List.of(TFloat32.class));
      QueueDequeue deq = tf.io.queueDequeue(q, List.of(TFloat32.class));
      RunOptions timeout = RunOptions.newBuilder().setTimeoutInMs(200).build();
      try (NativeSession s = NativeSession.open(g)) {
        assertThatThrownBy(() -> s.runner().fetch(deq.components().get(0)).options(timeout).run())
            .isInstanceOf(DeadlineExceededException.class);
      }
    }
  }

  @Test
  void restoringFromMissingFileIsNotFound(@TempDir Path dir) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      String missing = dir.resolve("no-such-checkpoint").toString();
      Restore restore =
          tf.train.restore(
              tf.constant(missing),
              tf.constant(StdArrays.ndCopyOf(new String[] {"w"})),
              tf.constant(StdArrays.ndCopyOf(new String[] {""})),
              List.of(TFloat32.class));
      try (NativeSession s = NativeSession.open(g)) {
        assertThatThrownBy(() -> s.runner().fetch(restore.tensors().get(0)).run())
            .isInstanceOf(NotFoundException.class)
            .hasMessageContaining("no-such-checkpoint");
      }
    }
  }

  @Test
  void closeIsIdempotentAndUsingAClosedSessionIsAClearError() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var c = tf.constant(1f);
      NativeSession s = NativeSession.open(g);
      s.close();
      s.close();
      assertThat(s.isClosed()).isTrue();
      assertThatThrownBy(() -> s.runner().fetch(c).run())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("session is closed");
      assertThatThrownBy(s::asSession).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void closeWaitsForRunsInFlight() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue q = tf.io.fifoQueue(List.of(TFloat32.class));
      QueueDequeue deq = tf.io.queueDequeue(q, List.of(TFloat32.class));
      RunOptions timeout = RunOptions.newBuilder().setTimeoutInMs(1500).build();
      NativeSession s = NativeSession.open(g);
      ExecutorService pool = Executors.newFixedThreadPool(1);
      try {
        Future<?> blocked =
            pool.submit(() -> s.runner().fetch(deq.components().get(0)).options(timeout).run());
        Await.until("the dequeue run to start", Duration.ofSeconds(10), () -> s.runsInFlight() > 0);
        s.close();
        // Had close() not waited, TensorFlow would have cancelled the blocked run (CANCELLED);
        // waiting lets it end by its own deadline.
        assertThatThrownBy(() -> blocked.get(10, TimeUnit.SECONDS))
            .hasCauseInstanceOf(DeadlineExceededException.class);
        assertThat(s.runsInFlight()).isZero();
      } finally {
        pool.shutdownNow();
        s.close();
      }
    }
  }

  // issue 14 item 2: the synchronous replicas' queue runner waits on an accumulator at the end
  @Test
  void cancelAndCloseCancelsRunsInFlightInsteadOfWaitingForThem() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue q = tf.io.fifoQueue(List.of(TFloat32.class));
      QueueDequeue deq = tf.io.queueDequeue(q, List.of(TFloat32.class));
      NativeSession s = NativeSession.open(g);
      ExecutorService pool = Executors.newFixedThreadPool(1);
      try {
        // no deadline: only the cancel can end this run
        Future<?> blocked = pool.submit(() -> s.runner().fetch(deq.components().get(0)).run());
        Await.until("the dequeue run to start", Duration.ofSeconds(10), () -> s.runsInFlight() > 0);
        s.cancelAndClose();
        assertThatThrownBy(() -> blocked.get(10, TimeUnit.SECONDS))
            .hasCauseInstanceOf(dev.tfmon.errors.CancelledException.class);
        assertThat(s.isClosed()).isTrue();
        assertThat(s.runsInFlight()).isZero();
        s.cancelAndClose();
      } finally {
        pool.shutdownNow();
        s.close();
      }
    }
  }

  @Test
  void sessionViewSharesTheNativeSession() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> v = tf.withName("v").variable(tf.constant(4f));
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        Session view = s.asSession();
        assertThat(s.asSession()).isSameAs(view);
        try (Result r = view.runner().fetch(v).run()) {
          assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(4f);
        }
      }
    }
  }

  @Test
  void targetMustLookLikeAUrl() {
    try (Graph g = new Graph()) {
      assertThatThrownBy(() -> NativeSession.open(g, "localhost:2222", null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'localhost:2222'");
    }
  }


  // issue 16: a run's native argument arrays are kept per signature and reused, a few signatures
  // at most, never after a failed run, and all freed at close.
  @Test
  void runsOfOneSignatureReuseOneFrame() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Add<TFloat32> y = tf.withName("y").math.add(x, tf.constant(2f));
      Add<TFloat32> z = tf.withName("z").math.add(x, tf.constant(3f));
      NativeSession s = NativeSession.open(g);
      try (TFloat32 one = TFloat32.scalarOf(1f);
          TFloat32 two = TFloat32.scalarOf(2f)) {
        for (int i = 0; i < 3; i++) {
          // a new feed tensor and a new Output object (by name) each time: same signature
          try (RunResult r = s.runner().feed("x:0", i % 2 == 0 ? one : two).fetch(y).run()) {
            assertThat(r.getFloat(y)).isEqualTo(i % 2 == 0 ? 3f : 4f);
          }
          assertThat(s.idleFrames()).isEqualTo(1);
        }
        try (RunResult r = s.runner().feed(x, one).fetch(z).fetch(y).run()) {
          assertThat(r.getFloat(z)).isEqualTo(4f);
          assertThat(r.getFloat(y)).isEqualTo(3f);
        }
        assertThat(s.idleFrames()).isEqualTo(2);
        // fetch order is part of the signature
        try (RunResult r = s.runner().feed(x, two).fetch(y).fetch(z).run()) {
          assertThat(r.getFloat(y)).isEqualTo(4f);
          assertThat(r.getFloat(z)).isEqualTo(5f);
        }
        assertThat(s.idleFrames()).isEqualTo(3);
        for (int extra = 0; extra < 3; extra++) {
          var c = tf.withName("c" + extra).constant(extra);
          s.runner().fetch(c).run().close();
        }
        assertThat(s.idleFrames()).isEqualTo(4);
        s.runner().feed(x, one).fetch(y).run().close();
        assertThat(s.idleFrames()).isEqualTo(4);

        // a failed run (wrong dtype fed) leaves no frame behind, and the next run is fine
        try (TInt32 wrong = TInt32.scalarOf(1)) {
          assertThatThrownBy(() -> s.runner().feed(x, wrong).fetch(y).run())
              .isInstanceOf(InvalidArgumentException.class);
        }
        assertThat(s.idleFrames()).isEqualTo(3);
        try (RunResult r = s.runner().feed(x, two).fetch(y).run()) {
          assertThat(r.getFloat(y)).isEqualTo(4f);
        }
      } finally {
        s.close();
      }
      assertThat(s.idleFrames()).isZero();
    }
  }

  // issue 16: a caller's own PointerScope around runs frees neither the kept frame nor results.
  @Test
  void aCallersPointerScopeDoesNotFreeTheKeptFrame() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Add<TFloat32> y = tf.withName("y").math.add(x, tf.constant(2f));
      try (NativeSession s = NativeSession.open(g);
          TFloat32 one = TFloat32.scalarOf(1f)) {
        RunResult kept;
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
          s.runner().feed(x, one).fetch(y).run().close();
          kept = s.runner().feed(x, one).fetch(y).run();
        }
        try (kept) {
          assertThat(kept.getFloat(y)).isEqualTo(3f);
        }
        for (int i = 0; i < 3; i++) {
          try (RunResult r = s.runner().feed(x, one).fetch(y).run()) {
            assertThat(r.getFloat(y)).isEqualTo(3f);
          }
        }
        assertThat(s.idleFrames()).isEqualTo(1);
      }
    }
  }

  // issue 16: concurrent runs of one signature each get a frame of their own.
  @Test
  void concurrentRunsOfOneSignatureEachGetTheirOwnFrame() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Add<TFloat32> y = tf.withName("y").math.add(x, tf.constant(1f));
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try (NativeSession s = NativeSession.open(g)) {
        List<Future<Boolean>> results = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
          float base = t * 1000f;
          results.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < 300; i++) {
                      try (TFloat32 in = TFloat32.scalarOf(base + i);
                          RunResult r = s.runner().feed(x, in).fetch(y).run()) {
                        if (r.getFloat(y) != base + i + 1f) {
                          return false;
                        }
                      }
                    }
                    return true;
                  }));
        }
        for (Future<Boolean> f : results) {
          assertThat(f.get(120, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(s.idleFrames()).isBetween(1, 4);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  // issue 16: run options are serialized once per options object, and a change is honoured.
  @Test
  void changedRunOptionsAreHonouredOnAKeptFrame() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue q = tf.withName("q").io.fifoQueue(List.of(TFloat32.class));
      QueueDequeue dq = tf.withName("dq").io.queueDequeue(q, List.of(TFloat32.class));
      var c = tf.withName("c").constant(1f);
      try (NativeSession s = NativeSession.open(g)) {
        RunOptions quick = RunOptions.newBuilder().setTimeoutInMs(50).build();
        for (int i = 0; i < 2; i++) {
          assertThatThrownBy(() -> s.runner().addTarget(dq).options(quick).run())
              .isInstanceOf(DeadlineExceededException.class);
        }
        RunOptions trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
        for (RunOptions o : List.of(trace, RunOptions.getDefaultInstance(), trace)) {
          try (RunResult r = s.runner().fetch(c).options(o).withMetadata().run()) {
            assertThat(r.metadata().orElseThrow().hasStepStats()).isEqualTo(o == trace);
          }
        }
        assertThat(s.idleFrames()).isEqualTo(1);
      }
    }
  }
}

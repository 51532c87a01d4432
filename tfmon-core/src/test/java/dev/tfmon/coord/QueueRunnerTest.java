package dev.tfmon.coord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.errors.StatusCode;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.CountUpTo;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.io.QueueClose;
import org.tensorflow.op.io.QueueDequeue;
import org.tensorflow.op.io.QueueEnqueue;
import org.tensorflow.op.io.QueueSize;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.QueueRunnerDef;
import org.tensorflow.proto.error.Code;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

// A bug here would leave a session blocked in an enqueue: fail instead of hanging the build.
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class QueueRunnerTest {
  private static final long DEADLINE_MILLIS = TimeUnit.SECONDS.toMillis(20);

  /** Threads the runners created; each test must leave none running. */
  private final List<Thread> created = new ArrayList<>();

  @AfterEach
  void noQueueRunnerThreadLeft() throws InterruptedException {
    for (Thread t : created) {
      if (t.getState() != Thread.State.NEW) {
        t.join(DEADLINE_MILLIS);
        assertThat(t.isAlive()).as("%s still alive after the test", t.getName()).isFalse();
      }
    }
  }

  private List<Thread> track(List<Thread> threads) {
    created.addAll(threads);
    return threads;
  }

  /**
   * Requests a stop and waits for the threads: closed before the session (resources close in
   * reverse order), since closing a session waits for runs in flight, such as a blocked enqueue.
   */
  private AutoCloseable stopOnExit(Coordinator coord) {
    return () -> {
      coord.requestStop();
      noQueueRunnerThreadLeft();
    };
  }

  private static void joinAll(List<Thread> threads) throws InterruptedException {
    for (Thread t : threads) {
      t.join(DEADLINE_MILLIS);
      assertThat(t.isAlive()).as("%s ended within the deadline", t.getName()).isFalse();
    }
  }

  private static FifoQueue floatQueue(Ops tf, String name, long capacity) {
    return tf.withName(name).io.fifoQueue(List.of(TFloat32.class), FifoQueue.capacity(capacity));
  }

  private static void initialize(NativeSession s) {
    s.runner().addTargets(NativeSession.graphInitializers(s.graph())).run().close();
  }

  private static long value(NativeSession s, Operand<TInt64> variable) {
    try (RunResult r = s.runner().fetch(variable).run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }

  private static List<String> names(List<Thread> threads) {
    return threads.stream().map(Thread::getName).sorted().collect(Collectors.toList());
  }

  @Test // QRT-01
  void qrt01_basicRunsTheOpUntilOutOfRange() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TInt64> var = tf.variable(tf.constant(0L));
      CountUpTo<TInt64> countUpTo = tf.countUpTo(var, 3L);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueRunner qr = QueueRunner.builder(queue).addEnqueueTensor(countUpTo).build();
      try (NativeSession s = NativeSession.open(g)) {
        initialize(s);
        List<Thread> threads = track(qr.createThreads(s, null, false, false));
        assertThat(names(threads)).containsExactly("QueueRunnerThread-fifo_queue-CountUpTo:0");
        threads.forEach(Thread::start);
        joinAll(threads);
        assertThat(qr.exceptionsRaised()).as("OutOfRange is a normal end").isEmpty();
        assertThat(value(s, var)).isEqualTo(3);
      }
    }
  }

  @Test // QRT-02
  void qrt02_twoOpsEachInItsOwnThread() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TInt64> var0 = tf.variable(tf.constant(0L));
      Variable<TInt64> var1 = tf.variable(tf.constant(0L));
      CountUpTo<TInt64> count0 = tf.countUpTo(var0, 3L);
      CountUpTo<TInt64> count1 = tf.countUpTo(var1, 30L);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueRunner qr =
          QueueRunner.builder(queue).addEnqueueTensor(count0).addEnqueueTensor(count1).build();
      try (NativeSession s = NativeSession.open(g)) {
        List<Thread> threads = track(qr.createThreads(s, null, false, false));
        assertThat(names(threads))
            .containsExactly(
                "QueueRunnerThread-fifo_queue-CountUpTo:0",
                "QueueRunnerThread-fifo_queue-CountUpTo_1:0");
        initialize(s); // after creating the threads, before starting them
        threads.forEach(Thread::start);
        joinAll(threads);
        assertThat(qr.exceptionsRaised()).isEmpty();
        assertThat(value(s, var0)).isEqualTo(3);
        assertThat(value(s, var1)).isEqualTo(30);
      }
    }
  }

  @Test // QRT-03
  void qrt03_exceptionsAreCapturedWithoutCoordinator() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueRunner qr =
          QueueRunner.builder(queue).addEnqueueOpName("i fail").addEnqueueOpName("so fail").build();
      try (NativeSession s = NativeSession.open(g)) {
        List<Thread> threads = track(qr.createThreads(s, null, false, false));
        threads.forEach(Thread::start);
        joinAll(threads);
        List<Throwable> raised = qr.exceptionsRaised();
        assertThat(raised).hasSize(2);
        assertThat(raised)
            .allSatisfy(
                e ->
                    assertThat(e)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("Operation not in the graph"));
        assertThat(raised.stream().map(Throwable::getMessage).collect(Collectors.joining()))
            .contains("'i fail'")
            .contains("'so fail'");
      }
    }
  }

  @Test // QRT-06
  void qrt06_aFailureIsReportedToTheCoordinator() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueRunner qr = QueueRunner.builder(queue).addEnqueueOpName("not an op").build();
      Coordinator coord = new Coordinator();
      try (NativeSession s = NativeSession.open(g);
          AutoCloseable stop = stopOnExit(coord)) {
        List<Thread> threads = track(qr.createThreads(s, coord, false, true));
        assertThat(names(threads))
            .containsExactly(
                "QueueRunnerThread-fifo_queue-close_on_stop",
                "QueueRunnerThread-fifo_queue-not an op");
        assertThatThrownBy(coord::join)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("Operation not in the graph")
            .hasMessageContaining("'not an op'");
        assertThat(threads).noneMatch(Thread::isAlive);
      }
    }
  }

  @Test // QRT-07
  void qrt07_stopReleasesAnEnqueueBlockedOnAFullQueue() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 2);
      QueueEnqueue enqueue = tf.io.queueEnqueue(queue, List.of(tf.constant(10.0f)));
      QueueDequeue dequeue = tf.io.queueDequeue(queue, List.of(TFloat32.class));
      QueueSize size = tf.io.queueSize(queue);
      QueueRunner qr = QueueRunner.builder(queue).addEnqueueOp(enqueue).build();
      Coordinator coord = new Coordinator();
      try (NativeSession s = NativeSession.open(g);
          AutoCloseable stop = stopOnExit(coord)) {
        List<Thread> threads = track(qr.createThreads(s, coord, true, true));
        try (RunResult r = s.runner().fetch(dequeue.components().get(0)).run()) {
          assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(10.0f);
        }
        awaitQueueSize(s, size, 2); // the queue is full again: the enqueue thread is now blocked
        coord.requestStop();
        coord.join(List.of(), Duration.ofSeconds(1), false);
        assertThat(threads).as("the cancel op released the enqueue").noneMatch(Thread::isAlive);
        assertThat(qr.exceptionsRaised()).as("the cancelled enqueue is not a failure").isEmpty();
        assertThat(coord.recordedException()).isEmpty();
      }
    }
  }

  private static void awaitQueueSize(NativeSession s, QueueSize size, int expected) {
    Await.until("queue size " + expected, Duration.ofMillis(DEADLINE_MILLIS), () -> queueSize(s, size), n -> n == expected);
  }

  private static int queueSize(NativeSession s, QueueSize size) {
    try (RunResult r = s.runner().fetch(size).run()) {
      return ((TInt32) r.get(0)).getInt();
    }
  }


  @Test // QRT-08
  void qrt08_threadsAreTrackedPerSession() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 2);
      QueueEnqueue enqueue = tf.io.queueEnqueue(queue, List.of(tf.constant(10.0f)));
      QueueRunner qr = QueueRunner.builder(queue).addEnqueueOp(enqueue).build();
      Coordinator coord = new Coordinator();
      try (NativeSession a = NativeSession.open(g);
          NativeSession b = NativeSession.open(g)) {
        List<Thread> forA = track(qr.createThreads(a, coord, true, false));
        List<Thread> forB = track(qr.createThreads(b, coord, true, false));
        assertThat(forA).hasSize(2);
        assertThat(forB).as("same number of threads for the second session").hasSize(2);
        assertThat(qr.createThreads(a, coord, true, false))
            .as("no new threads while session A has live runs")
            .isEmpty();
      }
    }
  }

  @Test // QRT-11
  void qrt11_nameIsTheQueueNameAndCollectionsFilterByScope() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue =
          tf.withSubScope("scope")
              .withName("queue")
              .io
              .fifoQueue(List.of(TFloat32.class), FifoQueue.capacity(10L));
      QueueRunner qr = QueueRunner.builder(queue).addEnqueueOp(tf.noOp()).build();
      assertThat(qr.name()).isEqualTo("scope/queue");
      QueueRunner.addQueueRunner(g, qr);
      assertThat(QueueRunner.fromCollection(g, CollectionKeys.QUEUE_RUNNERS, "scope"))
          .containsExactly(qr);
      assertThat(QueueRunner.fromCollection(g, CollectionKeys.QUEUE_RUNNERS, "other")).isEmpty();
    }
  }

  @Test // QRT-12
  void qrt12_startQueueRunnersStartsTheGraphsCollection() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TInt64> var = tf.variable(tf.constant(0L));
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueRunner qr = QueueRunner.builder(queue).addEnqueueTensor(tf.countUpTo(var, 3L)).build();
      QueueRunner.addQueueRunner(g, qr);
      try (NativeSession s = NativeSession.open(g)) {
        initialize(s);
        List<Thread> threads = track(QueueRunner.startQueueRunners(s, null, g));
        assertThat(threads).hasSize(1).allMatch(Thread::isDaemon);
        joinAll(threads);
        assertThat(qr.exceptionsRaised()).isEmpty();
        assertThat(value(s, var)).isEqualTo(3);
      }
    }
  }

  @Test // QRT-14
  void qrt14_startQueueRunnersReturnsNothingForRunnersAlreadyStartedOnTheSession()
      throws Exception {
    // Java counterpart of "start_queue_runners(MonitoredSession) returns []": a MonitoredSession
    // starts the runners on its raw session itself, and a later call for that session must not
    // start duplicate threads.
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 2);
      QueueEnqueue enqueue = tf.io.queueEnqueue(queue, List.of(tf.constant(1.0f)));
      QueueRunner.addQueueRunner(g, QueueRunner.builder(queue).addEnqueueOp(enqueue).build());
      Coordinator coord = new Coordinator();
      try (NativeSession s = NativeSession.open(g);
          AutoCloseable stop = stopOnExit(coord)) {
        List<Thread> first = track(QueueRunner.startQueueRunners(s, coord, g));
        assertThat(first).hasSize(2);
        assertThat(QueueRunner.startQueueRunners(s, coord, g)).isEmpty();
        coord.requestStop();
        coord.join(List.of(), Duration.ofSeconds(10), false);
        assertThat(first).noneMatch(Thread::isAlive);
      }
    }
  }

  @Test // QRT-15
  void qrt15_runnersAreLookedUpInTheSessionsGraph() throws Exception {
    try (Graph other = new Graph();
        Graph g = new Graph()) {
      Ops otherTf = Ops.create(other);
      FifoQueue otherQueue = floatQueue(otherTf, "other_queue", 10);
      QueueRunner.addQueueRunner(
          other, QueueRunner.builder(otherQueue).addEnqueueOp(otherTf.noOp()).build());

      Ops tf = Ops.create(g);
      Variable<TInt64> var = tf.variable(tf.constant(0L));
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueRunner qr = QueueRunner.builder(queue).addEnqueueTensor(tf.countUpTo(var, 3L)).build();
      QueueRunner.addQueueRunner(g, qr);
      try (NativeSession s = NativeSession.open(g)) {
        initialize(s);
        List<Thread> threads = track(QueueRunner.startQueueRunners(s, null, g));
        assertThat(names(threads)).containsExactly("QueueRunnerThread-fifo_queue-CountUpTo:0");
        joinAll(threads);
        assertThat(qr.exceptionsRaised()).isEmpty();
        assertThat(value(s, var)).isEqualTo(3);
        assertThatThrownBy(() -> QueueRunner.startQueueRunners(s, null, other))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("another graph");
      }
    }
  }

  @Test
  void aQueueRunnerFedLoopEndsCleanlyOnOutOfRange() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TInt64> counter = tf.variable(tf.constant(0L));
      FifoQueue queue =
          tf.withName("input_queue").io.fifoQueue(List.of(TInt64.class), FifoQueue.capacity(4L));
      // Two enqueue threads share the counter: CountUpTo fails with OUT_OF_RANGE at 20, which
      // ends both threads, and the last one closes the queue.
      QueueEnqueue enqueue1 = tf.io.queueEnqueue(queue, List.of(tf.countUpTo(counter, 20L)));
      QueueEnqueue enqueue2 = tf.io.queueEnqueue(queue, List.of(tf.countUpTo(counter, 20L)));
      QueueDequeue dequeue = tf.io.queueDequeue(queue, List.of(TInt64.class));
      QueueRunner.addQueueRunner(
          g, QueueRunner.builder(queue).addEnqueueOp(enqueue1).addEnqueueOp(enqueue2).build());
      Coordinator coord = new Coordinator();
      List<Long> seen = new ArrayList<>();
      try (NativeSession s = NativeSession.open(g);
          AutoCloseable stop = stopOnExit(coord)) {
        initialize(s);
        List<Thread> threads = track(QueueRunner.startQueueRunners(s, coord, g));
        assertThat(names(threads))
            .containsExactly(
                "QueueRunnerThread-input_queue-QueueEnqueue",
                "QueueRunnerThread-input_queue-QueueEnqueue_1",
                "QueueRunnerThread-input_queue-close_on_stop");
        coord.stopOnException(
            () -> {
              for (int i = 0; i < 1000 && !coord.shouldStop(); i++) {
                try (RunResult r = s.runner().fetch(dequeue.components().get(0)).run()) {
                  seen.add(((TInt64) r.get(0)).getLong());
                }
              }
            });
        assertThat(coord.shouldStop()).as("the OutOfRange of the closed queue stopped it").isTrue();
        coord.join(threads);
        assertThat(coord.recordedException()).as("OutOfRange is a clean stop").isEmpty();
        assertThat(seen)
            .as("every value was dequeued exactly once")
            .containsExactlyInAnyOrderElementsOf(
                java.util.stream.LongStream.range(0, 20).boxed().collect(Collectors.toList()));
        assertThat(threads).noneMatch(Thread::isAlive);
        assertThat(Thread.getAllStackTraces().keySet())
            .as("no queue-runner thread of this queue left")
            .noneMatch(t -> t.getName().startsWith("QueueRunnerThread-input_queue-"));
      }
    }
  }

  @Test
  void defaultCloseAndCancelOpsAndProtoRoundTripThroughAMetaGraph() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TInt64> var = tf.variable(tf.constant(0L));
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueRunner qr = QueueRunner.builder(queue).addEnqueueTensor(tf.countUpTo(var, 3L)).build();
      assertThat(qr.closeOpName()).isEqualTo("fifo_queue_Close");
      assertThat(qr.cancelOpName()).isEqualTo("fifo_queue_Close_1");
      assertThat(g.operation("fifo_queue_Close_1").attributes().getAttrBool("cancel_pending_enqueues"))
          .as("the cancel op cancels pending enqueues")
          .isTrue();
      assertThat(g.operation("fifo_queue_Close").attributes().getAttrBool("cancel_pending_enqueues"))
          .isFalse();
      QueueRunnerDef def = qr.toProto();
      assertThat(def)
          .isEqualTo(
              QueueRunnerDef.newBuilder()
                  .setQueueName("fifo_queue")
                  .addEnqueueOpName("CountUpTo:0")
                  .setCloseOpName("fifo_queue_Close")
                  .setCancelOpName("fifo_queue_Close_1")
                  .addQueueClosedExceptionTypes(Code.OUT_OF_RANGE)
                  .build());
      QueueRunner.addQueueRunner(g, qr);
      Map<String, CollectionDef> exported = GraphCollections.of(g).toCollectionDefs();
      assertThat(exported.get(CollectionKeys.QUEUE_RUNNERS).getBytesList().getValue(0))
          .isEqualTo(def.toByteString());

      try (Graph imported = new Graph()) {
        imported.importGraphDef(g.toGraphDef(), "imported");
        GraphCollections.of(imported).importCollectionDefs(exported, "imported");
        List<QueueRunner> runners =
            QueueRunner.fromCollection(imported, CollectionKeys.QUEUE_RUNNERS, null);
        assertThat(runners).hasSize(1);
        QueueRunner copy = runners.get(0);
        assertThat(copy.name()).isEqualTo("imported/fifo_queue");
        assertThat(copy.enqueueOpNames()).containsExactly("imported/CountUpTo:0");
        assertThat(QueueRunner.fromCollection(imported, CollectionKeys.QUEUE_RUNNERS, null))
            .as("the runner re-created from the proto is reused")
            .containsExactly(copy);
        try (NativeSession s = NativeSession.open(imported)) {
          for (org.tensorflow.Operation init : NativeSession.graphInitializers(g)) {
            s.runner().addTarget(imported.operation("imported/" + init.name())).run().close();
          }
          List<Thread> threads = track(QueueRunner.startQueueRunners(s, null, imported));
          joinAll(threads);
          assertThat(copy.exceptionsRaised()).isEmpty();
          try (RunResult r = s.runner().fetch("imported/" + var.op().name()).run()) {
            assertThat(((TInt64) r.get(0)).getLong()).isEqualTo(3);
          }
        }
      }
    }
  }

  @Test
  void legacyProtoWithoutCodesMeansOutOfRangeAndMissingOpsAreNamed() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "q", 10);
      QueueClose close = tf.io.queueClose(queue);
      QueueRunnerDef legacy =
          QueueRunnerDef.newBuilder()
              .setQueueName("q")
              .addEnqueueOpName(close.op().name())
              .setCloseOpName(close.op().name())
              .setCancelOpName(close.op().name())
              .build();
      assertThat(QueueRunner.fromProto(g, legacy, "").queueClosedExceptionTypes())
          .containsExactly(StatusCode.OUT_OF_RANGE);
      QueueRunnerDef missing = legacy.toBuilder().setCancelOpName("no_such_cancel").build();
      assertThatThrownBy(() -> QueueRunner.fromProto(g, missing, ""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("no_such_cancel");
    }
  }

  @Test
  void invalidRunnersAreRejectedWithTheValue() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      assertThatThrownBy(() -> QueueRunner.builder(queue).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the queue runner of queue 'fifo_queue' has no enqueue op: add at least one");
      QueueEnqueue enqueue = tf.io.queueEnqueue(queue, List.of(tf.constant(1.0f)));
      // issue 15 item 8: the setter keeps the value, build() refuses it
      QueueRunner.Builder okCode = QueueRunner.builder(queue).addEnqueueOp(enqueue).queueClosedExceptionTypes(Set.of(StatusCode.OK));
      assertThatThrownBy(okCode::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a non-empty set of error codes as queue-closed exception types, but got [OK]");
      assertThatThrownBy(() -> new QueueRunner("fifo_queue", List.of(), null, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the queue runner of queue 'fifo_queue' has no enqueue op: add at least one");
      try (Graph other = new Graph()) {
        var foreign = Ops.create(other).withName("elsewhere").noOp();
        QueueRunner.Builder mixed = QueueRunner.builder(queue).addEnqueueOp(foreign);
        assertThatThrownBy(mixed::build)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("the ops of a queue runner must be in the queue's graph, but 'elsewhere' is in another");
      }
    }
  }

  @Test
  void cancelledIsAQueueClosedTypeWhenConfigured() throws Exception {
    // An enqueue on a queue closed by someone else fails with CANCELLED ("is closed"); a runner
    // configured for it ends quietly, and the last thread still runs the close op.
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueEnqueue enqueue = tf.io.queueEnqueue(queue, List.of(tf.constant(1.0f)));
      QueueClose closeNow = tf.io.queueClose(queue);
      QueueRunner qr =
          new QueueRunner(
              "fifo_queue",
              List.of(enqueue.op()),
              null,
              null,
              new LinkedHashSet<>(List.of(StatusCode.OUT_OF_RANGE, StatusCode.CANCELLED)));
      assertThat(qr.toProto().getQueueClosedExceptionTypesList())
          .containsExactly(Code.OUT_OF_RANGE, Code.CANCELLED);
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(closeNow).run().close();
        List<Thread> threads = track(qr.createThreads(s, null, true, true));
        joinAll(threads);
        assertThat(qr.exceptionsRaised()).isEmpty();
      }
      QueueRunner strict = QueueRunner.builder(queue).addEnqueueOp(enqueue).build();
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(closeNow).run().close();
        List<Thread> threads = track(strict.createThreads(s, null, true, true));
        joinAll(threads);
        assertThat(strict.exceptionsRaised())
            .singleElement()
            .satisfies(
                e ->
                    assertThat(e)
                        .isInstanceOf(dev.tfmon.errors.CancelledException.class)
                        .hasMessageContaining("closed"));
      }
    }
  }

  @Test
  void outOfRangeExceptionTypeEndsTheConsumer() {
    // Documents the TF fact the runner relies on: dequeue from a closed, empty queue is OUT_OF_RANGE.
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueClose close = tf.io.queueClose(queue);
      QueueDequeue dequeue = tf.io.queueDequeue(queue, List.of(TFloat32.class));
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(close).run().close();
        assertThatThrownBy(() -> s.runner().fetch(dequeue.components().get(0)).run().close())
            .isInstanceOf(OutOfRangeException.class)
            .hasMessageContaining("closed");
      }
    }
  }

  // issue 11 item 19: the queue-closed codes keep the caller's order through the builder, the
  // constructor and a proto round trip (an EnumSet used to sort them by code).
  @Test
  void queueClosedCodesKeepTheCallersOrder() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      FifoQueue queue = floatQueue(tf, "fifo_queue", 10);
      QueueEnqueue enqueue = tf.io.queueEnqueue(queue, List.of(tf.constant(1.0f)));
      QueueRunner built =
          QueueRunner.builder(queue)
              .addEnqueueOp(enqueue)
              .queueClosedExceptionTypes(StatusCode.OUT_OF_RANGE, StatusCode.CANCELLED, StatusCode.ABORTED)
              .build();
      assertThat(built.queueClosedExceptionTypes())
          .containsExactly(StatusCode.OUT_OF_RANGE, StatusCode.CANCELLED, StatusCode.ABORTED);
      assertThat(built.toProto().getQueueClosedExceptionTypesList())
          .containsExactly(Code.OUT_OF_RANGE, Code.CANCELLED, Code.ABORTED);
      QueueRunner back = QueueRunner.fromProto(g, built.toProto(), "");
      assertThat(back.queueClosedExceptionTypes())
          .containsExactly(StatusCode.OUT_OF_RANGE, StatusCode.CANCELLED, StatusCode.ABORTED);
      assertThat(back.toProto()).isEqualTo(built.toProto());

      Set<StatusCode> given = new LinkedHashSet<>(List.of(StatusCode.UNAVAILABLE, StatusCode.OUT_OF_RANGE));
      QueueRunner fromSet = QueueRunner.builder(queue).addEnqueueOp(enqueue).queueClosedExceptionTypes(given).build();
      assertThat(fromSet.queueClosedExceptionTypes()).containsExactly(StatusCode.UNAVAILABLE, StatusCode.OUT_OF_RANGE);
      QueueRunner constructed = new QueueRunner("fifo_queue", List.of(enqueue.op()), null, null, given);
      assertThat(constructed.toProto().getQueueClosedExceptionTypesList())
          .containsExactly(Code.UNAVAILABLE, Code.OUT_OF_RANGE);
    }
  }
}

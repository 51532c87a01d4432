package dev.tfmon.session;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.GraphVariable;
import dev.tfmon.hook.BeginContext;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/** The fixtures of TensorFlow's monitored_session_test, rebuilt on the real runtime. */
final class Fixtures {
  private Fixtures() {}

  /** c = int constant 0 (feedable), v = identity(c). */
  record ConstAndIdentity(Output<TInt32> c, Output<TInt32> v) {
    static ConstAndIdentity build(Graph g) {
      Ops tf = Ops.create(g);
      Output<TInt32> c = tf.withName("c").placeholderWithDefault(tf.constant(0), org.tensorflow.ndarray.Shape.scalar()).output();
      Output<TInt32> v = tf.withName("v").identity(c).output();
      return new ConstAndIdentity(c, v);
    }
  }

  /** Global step and do_step (adds 1, returns the new value). */
  record Stepping(GraphVariable step, Output<TInt64> doStep) {
    static Stepping build(Graph g) {
      GraphVariable step = GlobalStep.getOrCreate(g);
      Ops tf = Ops.create(g);
      @SuppressWarnings("unchecked")
      Output<TInt64> ref = (Output<TInt64>) step.variable();
      Output<TInt64> doStep = tf.withName("do_step").assignAdd(ref, tf.constant(1L)).asOutput();
      return new Stepping(step, doStep);
    }

    @SuppressWarnings("unchecked")
    Output<TInt64> value() {
      return (Output<TInt64>) step.snapshot();
    }
  }

  static long longOf(RunResult r) {
    try (r) {
      return ((TInt64) r.get(0)).getLong();
    }
  }

  static int intOf(RunResult r) {
    try (r) {
      return ((TInt32) r.get(0)).getInt();
    }
  }

  static float floatOf(RunResult r) {
    try (r) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  /** Runs {@code fetch} with {@code c} fed with {@code value}. */
  static int runFed(SessionLayer s, ConstAndIdentity f, int value) {
    try (TInt32 t = TInt32.scalarOf(value)) {
      return intOf(s.run(SessionRunArgs.builder().fetch(f.v()).feed(f.c(), t).build()));
    }
  }

  /** Counts its calls, returns a configurable request, may request stop, remembers the last run. */
  static class FakeHook implements SessionRunHook {
    final AtomicInteger begin = new AtomicInteger();
    final AtomicInteger afterCreate = new AtomicInteger();
    final AtomicInteger beforeRun = new AtomicInteger();
    final AtomicInteger afterRun = new AtomicInteger();
    final AtomicInteger end = new AtomicInteger();
    final List<String> calls = new ArrayList<>();
    volatile SessionRunArgs request;
    volatile boolean shouldRequestStop;
    volatile SessionRunContext lastContext;
    volatile SessionRunValues lastValues;
    volatile List<Object> lastResults;
    volatile Coordinator lastCoordinator;

    @Override
    public void begin(BeginContext context) {
      begin.incrementAndGet();
      calls.add("begin");
    }

    @Override
    public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
      afterCreate.incrementAndGet();
      lastCoordinator = coordinator;
      calls.add("after_create_session");
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      beforeRun.incrementAndGet();
      lastContext = context;
      calls.add("before_run");
      return request;
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      afterRun.incrementAndGet();
      lastValues = values;
      List<Object> copied = new ArrayList<>();
      for (Tensor t : values.results()) {
        copied.add(copy(t));
      }
      lastResults = copied;
      calls.add("after_run");
      if (shouldRequestStop) {
        context.requestStop();
      }
    }

    @Override
    public void end(RunnableSession session) {
      end.incrementAndGet();
      calls.add("end");
    }
  }

  static Object copy(Tensor t) {
    if (t instanceof TInt32) {
      TInt32 i = (TInt32) t;
      return t.shape().numDimensions() == 0 ? (Object) i.getInt() : org.tensorflow.ndarray.StdArrays.array1dCopyOf(i);
    }
    if (t instanceof TInt64) {
      return ((TInt64) t).getLong();
    }
    if (t instanceof TFloat32) {
      return ((TFloat32) t).getFloat();
    }
    return t.toString();
  }

  /** A hook whose beforeRun throws {@code error} on its n-th call, once. */
  static final class RaiseOnceAtCountN implements SessionRunHook {
    private final int n;
    private final Supplier<RuntimeException> error;
    private int count;
    volatile boolean raised;

    RaiseOnceAtCountN(int n, Supplier<RuntimeException> error) {
      this.n = n;
      this.error = error;
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      count++;
      if (count == n && !raised) {
        raised = true;
        throw error.get();
      }
      return null;
    }
  }

  /**
   * On its first afterCreateSession starts a registered side thread; once k afterRun calls have
   * happened, that thread reports {@code error} to the coordinator; the k-th afterRun waits for
   * the report.
   */
  static class StopCoordinatorWithException implements SessionRunHook {
    private final int k;
    private final Supplier<Throwable> error;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch reported = new CountDownLatch(1);
    private boolean started;
    private int afterRuns;
    protected volatile Coordinator coordinator;

    StopCoordinatorWithException(int k, Supplier<Throwable> error) {
      this.k = k;
      this.error = error;
    }

    @Override
    public void afterCreateSession(RunnableSession session, Coordinator coord) {
      this.coordinator = coord;
      if (started) {
        return;
      }
      started = true;
      Thread side =
          new Thread(
              () -> {
                try {
                  if (reached.await(30, TimeUnit.SECONDS)) {
                    coord.requestStop(error.get());
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  reported.countDown();
                }
              },
              "side-thread-reporting");
      side.setDaemon(true);
      coord.registerThread(side);
      side.start();
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      afterRuns++;
      if (afterRuns == k) {
        reached.countDown();
        try {
          if (!reported.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the side thread did not report within 30 s");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        afterReport(context);
      }
    }

    protected void afterReport(SessionRunContext context) {}
  }

  /** As {@link StopCoordinatorWithException} with ABORTED; then throws CANCELLED if the coordinator holds it. */
  static final class FailTrainingAfterCoordinatorStopped extends StopCoordinatorWithException {
    FailTrainingAfterCoordinatorStopped(int k) {
      super(k, () -> new dev.tfmon.errors.AbortedException("Aborted at N"));
    }

    @Override
    protected void afterReport(SessionRunContext context) {
      if (coordinator.recordedException().map(e -> e instanceof dev.tfmon.errors.AbortedException).orElse(false)) {
        throw new dev.tfmon.errors.CancelledException("Session got garbage-collected.");
      }
    }
  }

  /**
   * Counts its calls. Python's version hands back one session whose close is disabled; the layers
   * here own and close what they are given, so this one opens a fresh raw session per call (the
   * graphs it serves need no initialization).
   */
  static final class CountingSessionCreator implements SessionCreator {
    private final Graph graph;
    final AtomicInteger count = new AtomicInteger();

    CountingSessionCreator(Graph graph) {
      this.graph = graph;
    }

    @Override
    public Graph graph() {
      return graph;
    }

    @Override
    public NativeSession createSession() {
      count.incrementAndGet();
      return NativeSession.open(graph);
    }
  }

  static boolean isPreemption(Throwable t) {
    return t instanceof TensorFlowStatusException && ((TensorFlowStatusException) t).isPreemption();
  }

  static Operation op(Operand<?> o) {
    return o.op();
  }

  static Placeholder<TFloat32> floatPlaceholder(Ops tf, String name) {
    return tf.withName(name).placeholder(TFloat32.class);
  }
}

package dev.tfmon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.testing.Await;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.process.ChildProcess;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Synchronous replicas on a real cluster (issue 14 item 2): 2 ps + 3 worker tasks, each its own
 * JVM; the workers' clients are graphs of this JVM with sessions on their worker tasks, so the test
 * decides exactly when each replica steps. Both tests share the cluster: each builds its model under
 * its own variable and sync names (accumulators and token queues are shared by name on the ps).
 */
@Tag("multiprocess")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SyncReplicasTest {
  private static final Duration STEP_WAIT = Duration.ofSeconds(90);
  private static final int FEATURES = 3;
  private static final int BATCH = 8;
  private static final float LEARNING_RATE = 0.1f;

  private LocalCluster cluster;
  private ExecutorService pool;

  @BeforeAll
  void startCluster() {
    cluster = LocalCluster.builder().ps(2).workers(3).startTimeout(Duration.ofSeconds(90)).start();
    pool = Executors.newCachedThreadPool();
  }

  @AfterAll
  void stopCluster() {
    if (pool != null) {
      pool.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The deterministic batch of worker {@code worker} in round {@code round}: x and y = x·(1,-2,3) + 0.5 + noise. */
  static float[][][] batch(int worker, int round) {
    Random r = new Random(1000L * worker + round);
    float[][] x = new float[BATCH][FEATURES];
    float[][] y = new float[BATCH][1];
    for (int i = 0; i < BATCH; i++) {
      for (int j = 0; j < FEATURES; j++) {
        x[i][j] = (float) r.nextGaussian();
      }
      y[i][0] = x[i][0] - 2 * x[i][1] + 3 * x[i][2] + 0.5f + (float) (0.1 * r.nextGaussian());
    }
    return new float[][][] {x, y};
  }

  /** One replica's graph: linear regression fed by placeholders, variables on the ps tasks. */
  static final class Replica implements AutoCloseable {
    final Graph graph = new Graph();
    final Placeholder<TFloat32> x;
    final Placeholder<TFloat32> y;
    final Variable<TFloat32> w;
    final Variable<TFloat32> b;
    final Operation train;
    final SyncReplicas sync;
    final Output<?> localStep;
    MonitoredSession session;

    Replica(ClusterSpec spec, int task, String prefix, int aggregate, int total) {
      ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
      placement.globalStep(graph);
      Ops tf = placement.workerOps(Ops.create(graph), task);
      x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, FEATURES)));
      y = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      w = placement.variableOps(tf).withName(prefix + "_w").variable(tf.zeros(tf.constant(new long[] {FEATURES, 1}), TFloat32.class));
      b = placement.variableOps(tf).withName(prefix + "_b").variable(tf.zeros(tf.constant(new long[] {1}), TFloat32.class));
      Operand<TFloat32> loss = meanSquaredError(tf, x, y, w, b);
      sync =
          SyncReplicas.builder(new GradientDescent(graph, LEARNING_RATE))
              .replicasToAggregate(aggregate)
              .totalReplicas(total)
              .name(prefix + "_sync")
              .build();
      train = sync.minimize(loss, "train_op");
      localStep = sync.localStep();
    }

    void open(LocalCluster cluster, int task, boolean chief) {
      open(cluster, task, chief, sync.replicasToAggregate());
    }

    void open(LocalCluster cluster, int task, boolean chief, int initialTokens) {
      session =
          MonitoredTrainingSession.builder(graph)
              .master(cluster.target("worker", task))
              .isChief(chief)
              .config(ReplicaDeviceSetter.forCluster(cluster.spec()).sessionConfig(task))
              .hook(sync.hook(chief, initialTokens))
              .saveSummariesSteps(0)
              .logStepCountSteps(0)
              .maxWait(Duration.ofSeconds(60))
              .recoveryWait(Duration.ofMillis(200))
              .stopGracePeriod(Duration.ofSeconds(5))
              .build();
    }

    void step(float[][][] batch) {
      try (TFloat32 xs = TFloat32.tensorOf(StdArrays.ndCopyOf(batch[0]));
          TFloat32 ys = TFloat32.tensorOf(StdArrays.ndCopyOf(batch[1]))) {
        session.runTargets(SessionRunArgs.builder().target(train).feed(x, xs).feed(y, ys).build());
      }
    }

    long globalStep() {
      Output<?> step = GlobalStep.get(graph).orElseThrow().snapshot();
      try (RunResult r = session.run(SessionRunArgs.fetch(step))) {
        return r.getLong(step);
      }
    }

    long localStep() {
      try (RunResult r = session.run(SessionRunArgs.fetch(localStep))) {
        return r.getLong(localStep);
      }
    }

    float[] weights() {
      try (RunResult r = session.run(SessionRunArgs.fetch(w, b))) {
        return flat(r.get(w), r.get(b));
      }
    }

    @Override
    public void close() {
      if (session != null) {
        session.close();
      }
      graph.close();
    }
  }

  static Operand<TFloat32> meanSquaredError(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> y, Operand<TFloat32> w, Operand<TFloat32> b) {
    var prediction = tf.math.add(tf.linalg.matMul(x, w), b);
    return tf.withName("loss").math.mean(tf.math.square(tf.math.sub(prediction, y)), tf.constant(new int[] {0, 1}));
  }

  /** Steps the given replicas at once, each with its batch of {@code round}; waits for all. */
  private void round(List<Replica> replicas, List<Integer> workers, int round) throws Exception {
    List<Future<?>> steps = new ArrayList<>();
    for (int i = 0; i < replicas.size(); i++) {
      Replica r = replicas.get(i);
      float[][][] batch = batch(workers.get(i), round);
      steps.add(pool.submit(() -> r.step(batch)));
    }
    for (Future<?> f : steps) {
      f.get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /** Plain gradient descent in one process on the concatenation of each update's batches. */
  private static float[] singleProcess(List<List<float[][][]>> updates) {
    try (Graph g = new Graph(); NativeSession s = NativeSession.open(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, FEATURES)));
      Placeholder<TFloat32> y = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      var w = tf.withName("w").variable(tf.zeros(tf.constant(new long[] {FEATURES, 1}), TFloat32.class));
      var b = tf.withName("b").variable(tf.zeros(tf.constant(new long[] {1}), TFloat32.class));
      Operation train = TrainOps.minimize(new GradientDescent(g, LEARNING_RATE), meanSquaredError(tf, x, y, w, b), "train");
      s.runner().addTargets(NativeSession.graphInitializers(g)).runTargets();
      for (List<float[][][]> batches : updates) {
        float[][] xs = new float[BATCH * batches.size()][];
        float[][] ys = new float[BATCH * batches.size()][];
        for (int i = 0; i < batches.size(); i++) {
          System.arraycopy(batches.get(i)[0], 0, xs, i * BATCH, BATCH);
          System.arraycopy(batches.get(i)[1], 0, ys, i * BATCH, BATCH);
        }
        try (TFloat32 xt = TFloat32.tensorOf(StdArrays.ndCopyOf(xs));
            TFloat32 yt = TFloat32.tensorOf(StdArrays.ndCopyOf(ys))) {
          s.runner().feed(x, xt).feed(y, yt).addTarget(train).runTargets();
        }
      }
      try (RunResult r = s.runner().fetch(w).fetch(b).run()) {
        return flat((TFloat32) r.get(0), (TFloat32) r.get(1));
      }
    }
  }

  /** The weights then the bias, as one array. */
  static float[] flat(TFloat32 w, TFloat32 b) {
    float[] out = new float[FEATURES + 1];
    for (int j = 0; j < FEATURES; j++) {
      out[j] = w.getFloat(j, 0);
    }
    out[FEATURES] = b.getFloat(0);
    return out;
  }

  // issue 14 item 2: 2 workers aggregating 2
  @Test
  void twoWorkersAggregatingTwoStepOncePerPairAndMatchOneProcessOnTheConcatenatedBatches() throws Exception {
    ClusterSpec spec = cluster.spec();
    try (Replica chief = new Replica(spec, 0, "pair", 2, 2);
        Replica other = new Replica(spec, 1, "pair", 2, 2)) {
      // No initial tokens (TF 1.x's num_tokens=0): every step of a worker waits for the update its
      // gradient is part of, so the replicas move in lockstep from the first step on.
      chief.open(cluster, 0, true, 0);
      other.open(cluster, 1, false);
      List<Replica> both = List.of(chief, other);
      List<Integer> workers = List.of(0, 1);
      List<List<float[][][]>> applied = new ArrayList<>();
      List<Long> steps = new ArrayList<>();
      List<Long> localSteps = new ArrayList<>();
      for (int round = 1; round <= 6; round++) {
        round(both, workers, round);
        steps.add(other.globalStep());
        localSteps.add(chief.localStep());
        localSteps.add(other.localStep());
        applied.add(List.of(batch(0, round), batch(1, round)));
      }
      // one update per pair of worker steps; a step returns once its update is done
      assertThat(steps).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
      assertThat(localSteps).containsExactly(1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L, 5L, 5L, 6L, 6L);

      float[] distributed = other.weights();
      float[] expected = singleProcess(applied);
      for (int i = 0; i < expected.length; i++) {
        assertThat(distributed[i])
            .as("weight %d: %s vs %s", i, Arrays.toString(distributed), Arrays.toString(expected))
            .isCloseTo(expected[i], within(1e-5f));
      }
      assertThat(expected[0]).as("the model learned something").isGreaterThan(0.3f);
    }
  }

  // issue 14 item 2: a backup worker (3 workers aggregating 2); one stalls
  @Test
  void aStalledWorkerDoesNotStallTrainingWithABackupWorker() throws Exception {
    ClusterSpec spec = cluster.spec();
    try (Replica chief = new Replica(spec, 0, "backup", 2, 3);
        Replica second = new Replica(spec, 1, "backup", 2, 3);
        Replica third = new Replica(spec, 2, "backup", 2, 3);
        SyncProbe probe = new SyncProbe(cluster, 1, "backup_sync", 3)) {
      chief.open(cluster, 0, true);
      second.open(cluster, 1, false);
      third.open(cluster, 2, false);
      // Each replica trains in a loop of its own, as in a real job.
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLongArray steps = new AtomicLongArray(3);
      List<Replica> replicas = List.of(chief, second, third);
      List<Future<?>> loops = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        int worker = w;
        loops.add(
            pool.submit(
                () -> {
                  for (int i = 1; !stop.get(); i++) {
                    replicas.get(worker).step(batch(worker, i));
                    steps.incrementAndGet(worker);
                  }
                }));
      }
      ChildProcess stalled = cluster.task("worker", 2);
      try {
        awaitStep(probe, 3);

        // Worker 2 stalls for real: its task process is stopped (SIGSTOP) in the middle of its
        // step. Its gradient is missing from every update from now on; the others go on.
        signal("STOP", stalled.process().pid());
        long atStall = probe.globalStep();
        long thirdAtStall = steps.get(2);
        awaitStep(probe, atStall + 10);
        assertThat(steps.get(2)).as("the stalled worker made no step").isLessThanOrEqualTo(thirdAtStall + 1);
        assertThat(steps.get(0)).isGreaterThanOrEqualTo(10);
        assertThat(steps.get(1)).isGreaterThanOrEqualTo(10);

        // Back, its late gradient is stale and dropped; it takes a token and trains again.
        signal("CONT", stalled.process().pid());
        long thirdBack = steps.get(2);
        long atResume = probe.globalStep();
        awaitCondition(() -> steps.get(2) >= thirdBack + 3, "worker 2 steps again");
        awaitStep(probe, atResume + 3);
      } finally {
        signal("CONT", stalled.process().pid());
        stop.set(true);
        // A replica may be waiting for a token that no update will bring now that the others
        // stopped: spare tokens release it, as the chief does at its end.
        long deadline = System.nanoTime() + STEP_WAIT.toNanos();
        while (!loops.stream().allMatch(Future::isDone) && System.nanoTime() < deadline) {
          probe.release();
          Thread.sleep(100);
        }
      }
      for (Future<?> loop : loops) {
        loop.get(1, TimeUnit.SECONDS);
      }
    }
  }

  private static void awaitStep(SyncProbe probe, long step) throws InterruptedException {
    awaitCondition(() -> probe.globalStep() >= step, "global step " + step);
  }

  private static void awaitCondition(BooleanSupplier condition, String what) {
    Await.until(what, STEP_WAIT, condition);
  }

  private static void signal(String signal, long pid) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -%s %d", signal, pid).isZero();
  }
}

package dev.tfmon.bench;

import dev.tfmon.cluster.ClusterSpec;
import dev.tfmon.cluster.ReplicaDeviceSetter;
import dev.tfmon.cluster.SyncReplicas;
import dev.tfmon.cluster.TaskServer;
import dev.tfmon.cluster.TaskServerMain;
import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.process.ParentWatch;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.ChiefSessionCreator;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.RecoveryPolicy;
import dev.tfmon.session.SessionCreator;
import dev.tfmon.session.WorkerSessionCreator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * One worker task of {@link ClusterBench}: serves its cluster task and trains the benchmark model
 * (variables on the ps tasks) until the global step reaches {@code --last-step}. Worker 0 is the
 * chief (initializes or restores, checkpoints every {@code --save-every} steps). Prints {@code
 * READY}, {@code FIRST session=n step=s at=ms}, {@code MARK step=s at=ms} once the global step
 * passes {@code --mark-step}, and {@code DONE step=s at=ms runs=n runMs=ms} (this worker's runs and
 * their time since the mark). With {@code --sync aggregate/total} the workers train as synchronous
 * replicas ({@link SyncReplicas}).
 */
public final class ClusterBenchWorker {
  private ClusterBenchWorker() {}

  /** The benchmark model: a 16-H-1 network on a fixed batch of 32 (the step-loop benchmarks use TrainingModel). */
  record Model(Output<TInt64> step, Operation train) {
    static Model build(Graph g, ReplicaDeviceSetter placement, int task, int hidden) {
      return build(g, placement, task, hidden, null);
    }

    static Model build(Graph g, ReplicaDeviceSetter placement, int task, int hidden, SyncReplicas sync) {
      Ops tf;
      if (placement == null) {
        GlobalStep.getOrCreate(g);
        tf = Ops.create(g);
      } else {
        placement.globalStep(g);
        tf = placement.workerOps(Ops.create(g), task);
      }
      float[][] xs = new float[32][16];
      float[][] ys = new float[32][1];
      Random rnd = new Random(1);
      for (float[] row : xs) {
        for (int j = 0; j < row.length; j++) {
          row[j] = (float) rnd.nextGaussian();
        }
      }
      for (float[] row : ys) {
        row[0] = (float) rnd.nextGaussian();
      }
      Ops v1 = placement == null ? tf : placement.variableOps(tf);
      var w1 = v1.withName("w1").variable(tf.random.truncatedNormal(tf.constant(new long[] {16, hidden}), TFloat32.class));
      Ops v2 = placement == null ? tf : placement.variableOps(tf);
      var w2 = v2.withName("w2").variable(tf.random.truncatedNormal(tf.constant(new long[] {hidden, 1}), TFloat32.class));
      var h = tf.nn.relu(tf.linalg.matMul(tf.constant(StdArrays.ndCopyOf(xs)), w1));
      var loss =
          tf.withName("loss")
              .math.mean(
                  tf.math.square(tf.math.sub(tf.linalg.matMul(h, w2), tf.constant(StdArrays.ndCopyOf(ys)))),
                  tf.constant(new int[] {0, 1}));
      Operation train =
          sync == null
              ? TrainOps.minimize(new GradientDescent(g, 0.01f), loss, "train_op")
              : sync.minimize(loss, "train_op");
      return new Model(GlobalStep.readTensor(g), train);
    }
  }

  public static void main(String[] args) throws Exception {
    ParentWatch.haltWhenStdinCloses();
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      o.put(args[i], args[i + 1]);
    }
    ClusterSpec spec = ClusterSpec.parse(o.get("--cluster"));
    int task = Integer.parseInt(o.get("--task"));
    long lastStep = Long.parseLong(o.get("--last-step"));
    long markStep = Long.parseLong(o.getOrDefault("--mark-step", "0"));
    long saveEvery = Long.parseLong(o.getOrDefault("--save-every", "1000000000"));
    int hidden = Integer.parseInt(o.getOrDefault("--hidden", "64"));
    long maxBackoffMs = Long.parseLong(o.getOrDefault("--max-backoff-ms", "1000"));
    Path modelDir = Path.of(o.get("--model-dir"));

    TaskServer server = TaskServer.start(spec, "worker", task);
    TaskServerMain.printReady(System.out, server);
    try (Graph g = new Graph()) {
      ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
      SyncReplicas sync = null;
      if (o.containsKey("--sync")) {
        String[] counts = o.get("--sync").split("/");
        sync = SyncReplicas.wrap(new GradientDescent(g, 0.01f), Integer.parseInt(counts[0]), Integer.parseInt(counts[1]));
      }
      Model model = Model.build(g, placement, task, hidden, sync);
      Scaffold scaffold = Scaffold.of(g);
      SessionCreator creator =
          task == 0
              ? ChiefSessionCreator.builder(scaffold).master(server.target())
                  .config(placement.sessionConfig(task)).checkpointDir(modelDir).build()
              : WorkerSessionCreator.builder(scaffold).master(server.target())
                  .config(placement.sessionConfig(task)).recoveryWait(Duration.ofMillis(100)).build();
      Probe probe = new Probe(model, scaffold, modelDir, task == 0, saveEvery, markStep, lastStep);
      try (MonitoredSession session =
          MonitoredSession.builder(creator)
              .hook(probe)
              .hooks(sync == null ? List.of() : List.of(sync.hook(task == 0)))
              .recoveryPolicy(
                  RecoveryPolicy.builder()
                      .backoff(Duration.ofMillis(Math.min(100, maxBackoffMs)), Duration.ofMillis(maxBackoffMs))
                      .budget(1000, Duration.ofMinutes(10))
                      .build())
              .build()) {
        SessionRunArgs step = SessionRunArgs.builder().target(model.train()).build();
        session.runUntilStopped(s -> s.run(step).close());
      }
      print("DONE step=" + probe.last + " at=" + System.currentTimeMillis() + " runs=" + probe.runsSinceMark
          + " runMs=" + (probe.markedAt < 0 ? 0 : System.currentTimeMillis() - probe.markedAt));
    }
    System.exit(0);
  }

  static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** Progress lines, the chief's checkpoints, and the stop at the last step. */
  static final class Probe implements SessionRunHook {
    private final Model model;
    private final Scaffold scaffold;
    private final String prefix;
    private final boolean chief;
    private final long saveEvery;
    private final long markStep;
    private final long lastStep;
    private RunnableSession session;
    private int sessions;
    private boolean first;
    private boolean marked;
    private long lastSaved = -1;
    long last;
    long runsSinceMark;
    long markedAt = -1;

    Probe(Model model, Scaffold scaffold, Path dir, boolean chief, long saveEvery, long markStep, long lastStep) {
      this.model = model;
      this.scaffold = scaffold;
      this.prefix = dir.resolve("model.ckpt").toString();
      this.chief = chief;
      this.saveEvery = saveEvery;
      this.markStep = markStep;
      this.lastStep = lastStep;
    }

    @Override
    public void afterCreateSession(RunnableSession s, Coordinator coordinator) {
      session = s;
      sessions++;
      first = true;
      if (chief && lastSaved < 0) {
        save();
      }
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      return SessionRunArgs.fetch(model.step());
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      long step = ((TInt64) values.get(0)).getLong() + 1;
      last = step;
      if (first) {
        first = false;
        print("FIRST session=" + sessions + " step=" + step + " at=" + System.currentTimeMillis());
      }
      if (marked) {
        runsSinceMark++;
      }
      if (!marked && step >= markStep) {
        marked = true;
        markedAt = System.currentTimeMillis();
        print("MARK step=" + step + " at=" + markedAt);
      }
      if (chief && step >= lastSaved + saveEvery) {
        save();
      }
      if (step >= lastStep) {
        context.requestStop();
      }
    }

    private void save() {
      long step = GlobalStep.value(session);
      scaffold.saver().save(session, prefix, step);
      lastSaved = step;
      print("SAVED step=" + step);
    }
  }
}

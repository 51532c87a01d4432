package dev.tfmon.cluster;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.ChiefSessionCreator;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.RecoveryPolicy;
import dev.tfmon.session.SessionCreator;
import dev.tfmon.session.WorkerSessionCreator;
import dev.tfmon.summary.Summaries;
import dev.tfmon.summary.SummaryWriter;
import dev.tfmon.testing.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * A worker task that serves and trains in one process, as TF 1.x programs do: it starts its own
 * {@link TaskServer} (job {@code worker}), prints {@code READY}, builds a linear-regression model
 * whose variables live on the ps tasks ({@link ReplicaDeviceSetter}) and trains it with a
 * MonitoredSession until the shared global step reaches {@code --last-step}. Worker 0 is the chief:
 * it initializes or restores from {@code --model-dir} and writes checkpoints and loss summaries
 * there; the others wait for the model to be ready.
 *
 * <p>Lines for the tests: {@code READY grpc://...}; {@code SESSION n at=<epoch ms>} when session n
 * was created; {@code FIRST session=n step=s at=<epoch ms>} after the first successful step of
 * session n; {@code STEP step=s loss=l}; {@code RECOVERED cause=CODE before=s after=s took=ms}; {@code
 * SAVED step=s}; {@code DONE step=s loss=l first_loss=l}; {@code FAILED Type: message} (then
 * exit status 1).
 *
 * <p>Arguments: {@code --cluster job=a,b;job=c --task i --last-step n --model-dir d [--save-every
 * n] [--print-every n] [--max-wait-secs n] [--sync aggregate/total] [--step-delay-ms n]}. With
 * {@code --sync} the workers train as synchronous replicas ({@link SyncReplicas}); a step delay
 * paces each worker (a soak of known length whatever the machine's speed).
 */
public final class ClusterTrainerMain {
  private ClusterTrainerMain() {}

  public static void main(String[] args) throws Exception {
    ChildJvm.exitWhenParentDies();
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    ClusterSpec spec = ClusterSpec.parse(opts.get("--cluster"));
    int task = Integer.parseInt(opts.get("--task"));
    long lastStep = Long.parseLong(opts.get("--last-step"));
    Path modelDir = Path.of(opts.get("--model-dir"));
    long saveEvery = Long.parseLong(opts.getOrDefault("--save-every", "100"));
    long printEvery = Long.parseLong(opts.getOrDefault("--print-every", "20"));
    long maxWaitSecs = Long.parseLong(opts.getOrDefault("--max-wait-secs", "90"));
    boolean chief = task == 0;
    String syncArg = opts.get("--sync");
    long stepDelayMs = Long.parseLong(opts.getOrDefault("--step-delay-ms", "0"));

    TaskServer server = TaskServer.start(spec, "worker", task);
    TaskServerMain.printReady(System.out, server);

    try (Graph g = new Graph()) {
      ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(spec);
      SyncReplicas sync = null;
      if (syncArg != null) {
        String[] counts = syncArg.split("/");
        sync =
            SyncReplicas.wrap(
                new GradientDescent(g, 0.05f), Integer.parseInt(counts[0]), Integer.parseInt(counts[1]));
      }
      Model model = Model.build(g, placement, task, sync);
      Scaffold scaffold = Scaffold.of(g);
      SessionCreator creator =
          chief
              ? ChiefSessionCreator.builder(scaffold)
                  .master(server.target())
                  .config(placement.sessionConfig(task))
                  .checkpointDir(modelDir)
                  .build()
              : WorkerSessionCreator.builder(scaffold)
                  .master(server.target())
                  .config(placement.sessionConfig(task))
                  .maxWait(Duration.ofSeconds(maxWaitSecs))
                  .recoveryWait(Duration.ofMillis(200))
                  .build();
      Progress progress = new Progress(model, lastStep, printEvery);
      MonitoredSession.Builder<MonitoredSession> builder =
          MonitoredSession.builder(creator)
              .hook(progress)
              .hooks(sync == null ? List.of() : List.of(sync.hook(chief)))
              .recoveryPolicy(
                  RecoveryPolicy.builder()
                      .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                      .budget(100, Duration.ofMinutes(5))
                      .build())
              .recoveryListener(
                  e ->
                      print(
                          "RECOVERED cause=" + e.cause().code()
                              + " before=" + (e.globalStepBefore().isPresent()
                                  ? e.globalStepBefore().getAsLong() : -1)
                              + " after=" + (e.globalStepAfter().isPresent()
                                  ? e.globalStepAfter().getAsLong() : -1)
                              + " took=" + e.timeToRecover().toMillis()));
      ChiefDuties duties = null;
      if (chief) {
        duties = new ChiefDuties(model, scaffold, modelDir, saveEvery);
        builder.hook(duties);
      }
      try (MonitoredSession session = builder.build()) {
        SessionRunArgs trainArgs = SessionRunArgs.builder().target(model.train()).build();
        session.runUntilStopped(
            s -> {
              s.run(trainArgs).close();
              if (stepDelayMs > 0) {
                Thread.sleep(stepDelayMs);
              }
            });
      } catch (RuntimeException e) {
        print("FAILED " + e.getClass().getSimpleName() + ": " + e.getMessage());
        System.exit(1);
      } finally {
        if (duties != null) {
          duties.writer.close();
        }
      }
      print("DONE step=" + progress.lastStep + " loss=" + progress.lastLoss
          + " first_loss=" + progress.firstLoss);
    }
    System.exit(0);
  }

  static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** y = 3x + 2 on 64 points; weights on the ps tasks, computation on this worker. */
  record Model(Output<TInt64> step, Operand<TFloat32> loss, Operation train, Output<TString> summary) {
    static Model build(Graph g, ReplicaDeviceSetter placement, int task, SyncReplicas sync) {
      placement.globalStep(g);
      Ops tf = placement.workerOps(Ops.create(g), task);
      float[] xs = new float[64];
      float[] ys = new float[64];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = -1f + 2f * i / (xs.length - 1);
        ys[i] = 3f * xs[i] + 2f;
      }
      var w = placement.variableOps(tf).withName("w").variable(tf.constant(new float[] {0f}));
      var b = placement.variableOps(tf).withName("b").variable(tf.constant(new float[] {0f}));
      var prediction = tf.math.add(tf.math.mul(tf.constant(xs), w), b);
      var loss =
          tf.withName("loss")
              .math.mean(tf.math.square(tf.math.sub(prediction, tf.constant(ys))), tf.constant(0));
      Operation train =
          sync == null
              ? TrainOps.minimize(new GradientDescent(g, 0.05f), loss, "train_op")
              : sync.minimize(loss, "train_op");
      Output<TString> summary = Summaries.scalar(g, "loss", loss);
      return new Model(GlobalStep.readTensor(g), loss, train, summary);
    }
  }

  /** Prints progress and stops the loop at the last step. */
  static final class Progress implements SessionRunHook {
    private final Model model;
    private final long last;
    private final long printEvery;
    private int sessions;
    private boolean firstOfSession;
    private long runs;
    volatile long lastStep = -1;
    volatile float lastLoss = Float.NaN;
    volatile float firstLoss = Float.NaN;

    Progress(Model model, long last, long printEvery) {
      this.model = model;
      this.last = last;
      this.printEvery = printEvery;
    }

    @Override
    public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
      sessions++;
      firstOfSession = true;
      print("SESSION " + sessions + " at=" + System.currentTimeMillis());
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      return SessionRunArgs.fetch(model.step(), model.loss());
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      long step = ((TInt64) values.get(0)).getLong() + 1; // the read is ordered before the increment
      float loss = ((TFloat32) values.get(1)).getFloat();
      lastStep = step;
      lastLoss = loss;
      if (Float.isNaN(firstLoss)) {
        firstLoss = loss;
      }
      if (firstOfSession) {
        firstOfSession = false;
        print("FIRST session=" + sessions + " step=" + step + " at=" + System.currentTimeMillis());
      }
      if (++runs % printEvery == 0) {
        print("STEP step=" + step + " loss=" + loss);
      }
      if (step >= last) {
        context.requestStop();
      }
    }
  }

  /** What only the chief does: checkpoints every N global steps and a loss summary with each. */
  static final class ChiefDuties implements SessionRunHook {
    private final Model model;
    private final Scaffold scaffold;
    private final String prefix;
    private final long saveEvery;
    final SummaryWriter writer;
    private RunnableSession session;
    private long lastSaved = -1;

    ChiefDuties(Model model, Scaffold scaffold, Path dir, long saveEvery) {
      this.model = model;
      this.scaffold = scaffold;
      this.prefix = dir.resolve("model.ckpt").toString();
      this.saveEvery = saveEvery;
      this.writer = SummaryWriter.create(dir);
    }

    @Override
    public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
      this.session = session;
      if (lastSaved < 0) {
        save(GlobalStep.value(session)); // like CheckpointSaverHook: a checkpoint of the start
      }
    }

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      return SessionRunArgs.fetch(model.step(), model.summary());
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      long step = ((TInt64) values.get(0)).getLong() + 1;
      if (step >= lastSaved + saveEvery) {
        writer.addSummary(((TString) values.get(1)).asBytes().getObject(), step);
        save(GlobalStep.value(session));
      }
    }

    @Override
    public void end(RunnableSession session) {
      save(GlobalStep.value(session));
    }

    private void save(long step) {
      String path = scaffold.saver().save(session, prefix, step);
      lastSaved = step;
      print("SAVED step=" + step + " path=" + path);
    }
  }

}

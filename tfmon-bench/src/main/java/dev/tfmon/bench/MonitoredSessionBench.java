package dev.tfmon.bench;

import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.ChiefSessionCreator;
import dev.tfmon.session.MonitoredSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The step loop of a small training graph (a one-hidden-layer network, about 60 µs a step on the
 * reference machine) run four ways in the same process: TF Java's own {@code Session}, tfmon's
 * raw {@code NativeSession}, a {@code MonitoredSession} with no hook, and one with five trivial
 * hooks. Each figure is the median per-step time over rounds whose order rotates.
 *
 * <p>Usage: {@code MonitoredSessionBench [stepsPerRound] [rounds] [hidden]}.
 */
public final class MonitoredSessionBench {
  private MonitoredSessionBench() {}

  public static void main(String[] args) {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 16)));
      Placeholder<TFloat32> y = tf.withName("y").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      Variable<TFloat32> w1 = tf.withName("w1").variable(tf.random.truncatedNormal(tf.constant(new long[] {16, hidden}), TFloat32.class));
      Variable<TFloat32> w2 = tf.withName("w2").variable(tf.random.truncatedNormal(tf.constant(new long[] {hidden, 1}), TFloat32.class));
      var h = tf.nn.relu(tf.linalg.matMul(x, w1));
      var loss = tf.withName("loss").math.mean(tf.math.square(tf.math.sub(tf.linalg.matMul(h, w2), y)), tf.constant(new int[] {0, 1}));
      Operation train = TrainOps.minimize(new GradientDescent(g, 0.01f), loss, "train_op");

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
      try (TFloat32 xt = TFloat32.tensorOf(StdArrays.ndCopyOf(xs));
          TFloat32 yt = TFloat32.tensorOf(StdArrays.ndCopyOf(ys));
          Session tfJava = new Session(g);
          NativeSession raw = NativeSession.open(g)) {
        raw.runner().addTargets(NativeSession.graphInitializers(g)).run().close();
        Scaffold scaffold = Scaffold.builder(g).build();
        MonitoredSession plain = MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).build()).build();
        List<SessionRunHook> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          five.add(new TrivialHook());
        }
        MonitoredSession hooked =
            MonitoredSession.builder(ChiefSessionCreator.builder(scaffold).build()).hooks(five).build();
        SessionRunArgs stepArgs = SessionRunArgs.builder().feed(x, xt).feed(y, yt).fetch(loss).target(train).build();

        String[] names = {"TF Java Session", "NativeSession (raw)", "MonitoredSession, no hook", "MonitoredSession, 5 hooks"};
        StepLoops.Loop[] loops = {
          n -> {
            for (int i = 0; i < n; i++) {
              try (Result r = tfJava.runner().feed(x, xt).feed(y, yt).fetch(loss).addTarget(train).run()) {
                sink += ((TFloat32) r.get(0)).getFloat();
              }
            }
          },
          n -> {
            for (int i = 0; i < n; i++) {
              try (RunResult r = raw.runner().feed(x, xt).feed(y, yt).fetch(loss).addTarget(train).run()) {
                sink += ((TFloat32) r.get(0)).getFloat();
              }
            }
          },
          n -> {
            for (int i = 0; i < n; i++) {
              try (RunResult r = plain.run(stepArgs)) {
                sink += ((TFloat32) r.get(0)).getFloat();
              }
            }
          },
          n -> {
            for (int i = 0; i < n; i++) {
              try (RunResult r = hooked.run(stepArgs)) {
                sink += ((TFloat32) r.get(0)).getFloat();
              }
            }
          },
        };
        StepLoops.Timings t = StepLoops.measure(loops, steps, rounds, 1000);
        double[][] perStep = t.wall();
        double[][] cpuPerStep = t.cpu();
        double base = median(perStep[1]);
        double cpuBase = median(cpuPerStep[1]);
        System.out.printf("steps/round=%d rounds=%d hidden=%d%n", steps, rounds, hidden);
        System.out.printf(
            "| loop | wall µs/step (median) | min..max | wall vs NativeSession | CPU µs/step (median) | CPU vs NativeSession |%n"
                + "|---|---:|---:|---:|---:|---:|%n");
        for (int v = 0; v < loops.length; v++) {
          double[] s = perStep[v].clone();
          Arrays.sort(s);
          System.out.printf(
              "| %s | %.1f | %.1f..%.1f | %.3f× | %.1f | %.3f× |%n",
              names[v], median(perStep[v]), s[0], s[s.length - 1], median(perStep[v]) / base,
              median(cpuPerStep[v]), median(cpuPerStep[v]) / cpuBase);
        }
        plain.close();
        hooked.close();
      }
    }
    if (sink == 42) {
      System.out.println();
    }
  }

  static volatile double sink;

  static double median(double[] values) {
    return StepLoops.median(values);
  }

  /** Asks for nothing and does nothing: the cost of the hook machinery itself. */
  static final class TrivialHook implements SessionRunHook {
    int calls;

    @Override
    public SessionRunArgs beforeRun(SessionRunContext context) {
      calls++;
      return null;
    }

    @Override
    public void afterRun(SessionRunContext context, SessionRunValues values) {
      calls++;
    }
  }
}

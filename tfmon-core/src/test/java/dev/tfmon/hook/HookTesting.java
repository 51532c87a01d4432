package dev.tfmon.hook;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.HookedSession;
import dev.tfmon.session.RawSessionLayer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;

/** Shared fixtures of the hook tests: log capture and the BHT model. */
final class HookTesting {
  private HookTesting() {}

  /**
   * Captures what slf4j-simple (the test binding, which resolves System.err at each call) logs while
   * open; output still reaches the real stderr.
   */
  static final class LogCapture implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    LogCapture() {
      OutputStream tee =
          new OutputStream() {
            @Override
            public void write(int b) {
              synchronized (captured) {
                captured.write(b);
              }
              original.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
              synchronized (captured) {
                captured.write(b, off, len);
              }
              original.write(b, off, len);
            }
          };
      System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
    }

    /** Lines logged since the last call (and clears them). */
    List<String> drain() {
      String text;
      synchronized (captured) {
        text = captured.toString(StandardCharsets.UTF_8);
        captured.reset();
      }
      List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n")));
      lines.removeIf(String::isBlank);
      return lines;
    }

    /** Lines since the last drain that contain {@code fragment}. */
    List<String> linesWith(String fragment) {
      List<String> lines = drain();
      lines.removeIf(l -> !l.contains(fragment));
      return lines;
    }

    @Override
    public void close() {
      System.setErr(original);
    }
  }

  /**
   * The BHT model: a graph with a default Scaffold, the global step, and train = step += amount
   * (ordered after the step's read tensor).
   */
  static final class StepModel implements AutoCloseable {
    final Graph graph;
    private boolean ownsGraph = true;
    final Scaffold scaffold;
    final Operation train;
    final org.tensorflow.Output<TInt64> newStep;
    final Operation assignStep;
    NativeSession session;

    StepModel(long amount) {
      this(new Graph(), amount);
    }

    /** A model over {@code g}, whose global step exists already; closing it does not close {@code g}. */
    static StepModel on(Graph g) {
      StepModel m = new StepModel(g, 1);
      m.ownsGraph = false;
      return m;
    }

    private StepModel(Graph g, long amount) {
      this.graph = g;
      GlobalStep.getOrCreate(graph);
      train = GlobalStep.increment(graph, amount);
      Ops tf = Ops.create(graph);
      newStep = tf.withName("new_step").placeholder(TInt64.class).output();
      @SuppressWarnings("unchecked")
      org.tensorflow.Output<TInt64> ref = (org.tensorflow.Output<TInt64>) GlobalStep.get(graph).orElseThrow().variable();
      assignStep =
          GlobalStep.get(graph).orElseThrow().isResource()
              ? tf.withName("assign_step").assignVariableOp(ref, newStep).op()
              : tf.withName("assign_step").assign(ref, newStep).op();
      scaffold = Scaffold.of(graph);
    }

    StepModel() {
      this(1);
    }

    /** Calls every hook's begin, finalizes the scaffold, opens a raw session and runs the init op. */
    HookedSession start(SessionRunHook... hooks) {
      for (SessionRunHook h : hooks) {
        h.begin(new BeginContext(graph));
      }
      scaffold.finalizeScaffold();
      session = NativeSession.open(graph);
      session.runner().addTarget(scaffold.initOp()).run().close();
      return new HookedSession(new RawSessionLayer(session), List.of(hooks));
    }

    void afterCreateSession(SessionRunHook... hooks) {
      for (SessionRunHook h : hooks) {
        h.afterCreateSession(session, null);
      }
    }

    static void runTrain(HookedSession hooked, Operation train) {
      try (RunResult r = hooked.run(dev.tfmon.runtime.SessionRunArgs.builder().target(train).build())) {
        // targets only
      }
    }

    void run(HookedSession hooked) {
      runTrain(hooked, train);
    }

    long step() {
      return GlobalStep.value(session);
    }

    /** Assigns {@code value} to the global step on the raw session. */
    void setStep(long value) {
      try (TInt64 v = TInt64.scalarOf(value)) {
        session.runner().feed(newStep, v).addTarget(assignStep).run().close();
      }
    }

    @Override
    public void close() {
      if (session != null) {
        session.close();
      }
      if (ownsGraph) {
        graph.close();
      }
    }
  }

  /** Creates a resource-variable global step named {@code name}, listed in collection global_step. */
  static void resourceGlobalStep(Graph g, String name) {
    org.tensorflow.op.Ops tf = org.tensorflow.op.Ops.create(g);
    org.tensorflow.GraphOperation handle =
        g.opBuilder("VarHandleOp", name, tf.scope())
            .setAttr("dtype", org.tensorflow.proto.DataType.DT_INT64)
            .setAttr("shape", org.tensorflow.ndarray.Shape.scalar())
            .setAttr("shared_name", name)
            .build();
    org.tensorflow.GraphOperation zero;
    try (TInt64 z = TInt64.scalarOf(0)) {
      zero = g.opBuilder("Const", name + "/Initializer/zeros", tf.scope()).setAttr("dtype", org.tensorflow.proto.DataType.DT_INT64).setAttr("value", z).build();
    }
    org.tensorflow.GraphOperation init =
        g.opBuilder("AssignVariableOp", name + "/Assign", tf.scope())
            .addInput(handle.output(0)).addInput(zero.output(0)).setAttr("dtype", org.tensorflow.proto.DataType.DT_INT64).build();
    org.tensorflow.GraphOperation read =
        g.opBuilder("ReadVariableOp", name + "/Read/ReadVariableOp", tf.scope())
            .addInput(handle.output(0)).setAttr("dtype", org.tensorflow.proto.DataType.DT_INT64).build();
    dev.tfmon.graph.GraphVariable step =
        new dev.tfmon.graph.GraphVariable(handle.output(0), init, read.output(0), zero.output(0), false);
    dev.tfmon.graph.GraphCollections.of(g).add(dev.tfmon.graph.CollectionKeys.GLOBAL_VARIABLES, step);
    dev.tfmon.graph.GraphCollections.of(g).add(dev.tfmon.graph.CollectionKeys.GLOBAL_STEP, step);
  }

  /** The global step stored in the newest checkpoint of {@code dir}. */
  static long checkpointStep(Path dir) {
    return checkpointStep(dir, "global_step");
  }

  /** Variable {@code name} in the newest checkpoint of {@code dir}. */
  static long checkpointStep(Path dir, String name) {
    String latest = Checkpoints.latestCheckpoint(dir).orElseThrow(() -> new AssertionError("no checkpoint in " + dir));
    try (CheckpointReader reader = CheckpointReader.open(latest);
        Tensor t = reader.read(name)) {
      return ((TInt64) t).getLong();
    }
  }
}

package dev.tfmon.bench;

import dev.tfmon.checkpoint.MetaGraphs;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.summary.SummaryWriterCache;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.types.TFloat32;

/**
 * One training step (feed x and y, fetch the loss, run the train op) in five loops on the same
 * graph, issue 16's comparison: the raw {@link NativeSession} loop, the raw loop with one more
 * fetch (the global step's read, what the default hooks add), a {@link MonitoredSession} without
 * hooks, {@link MonitoredTrainingSession} with its default hooks, and the same with the opt-in
 * {@code fetchStepEveryNRuns(fetchStepEveryN)} (default 100). Every loop feeds and fetches by name, as a user of an imported
 * graph does: the operands are looked up once by name, the monitored loops build their {@code
 * SessionRunArgs} once and reuse it, the raw loops build a runner per step as TF Java's API asks.
 *
 * <p>{@code size}: small = batch 32, hidden 64; large = batch 256, hidden 2048. {@code model}:
 * {@code java} = the bench's {@link TrainingModel} built in Java; {@code metagraph} = the same MLP
 * exported by Python TensorFlow ({@code python/make_mlp_metagraph.py}) and imported.
 *
 * <p>Run it through {@link StepLoopRatios} (interleaved rounds, ratios against the raw loop of the
 * same round, CPU time as well as wall time), or with JMH's own runner:
 *
 * <pre>
 * java -cp ... org.openjdk.jmh.Main StepLoopBenchmark -p size=small -p model=java
 * </pre>
 *
 * <p>With the system property {@code tfmon.bench.cpuFile} set, each trial appends one line to that
 * file: benchmark, size, model, and the process CPU time per step over the measured iterations
 * (TensorFlow's threads included).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class StepLoopBenchmark {
  @Param({"small", "large"})
  public String size;

  @Param({"java", "metagraph"})
  public String model;

  /** The opt-in mode's N: the default hooks fetch the step in one run of N (and when due). */
  @Param({"100"})
  public int fetchStepEveryN;

  private Graph graph;
  private Path workDir;
  private AutoCloseable session;
  private NativeSession raw;
  private MonitoredSession monitored;
  private TFloat32 xs;
  private TFloat32 ys;
  private Output<?> x;
  private Output<?> y;
  private Output<?> loss;
  private Output<?> stepRead;
  private Operation train;
  private SessionRunArgs stepArgs;

  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private long steps;
  private long cpuAtIterationStart;
  private long stepsAtIterationStart;
  private boolean measuring;
  private long measuredCpuNanos;
  private long measuredSteps;

  @Setup(Level.Trial)
  public void open(BenchmarkParams params) throws IOException {
    int batch = "small".equals(size) ? 32 : 256;
    int hidden = "small".equals(size) ? 64 : 2048;
    graph = new Graph();
    workDir = Files.createTempDirectory("tfmon-jmh-");
    if ("java".equals(model)) {
      TrainingModel.build(graph, batch, hidden);
    } else {
      Path meta = workDir.resolve("mlp.meta");
      try (InputStream in = StepLoopBenchmark.class.getResourceAsStream("mlp-" + size + ".meta")) {
        Files.copy(in, meta);
      }
      MetaGraphs.importMetaGraph(graph, meta);
    }
    // By name, as a user of an imported graph writes it.
    x = GraphNames.output(graph, "x:0");
    y = GraphNames.output(graph, "y:0");
    loss = GraphNames.output(graph, "loss:0");
    train = GraphNames.operation(graph, "train_op");
    stepRead = GlobalStep.readTensor(graph);
    xs = TrainingModel.batch(batch, 16, 1);
    ys = TrainingModel.batch(batch, 1, 2);
    stepArgs = SessionRunArgs.builder().feed(x, xs).feed(y, ys).fetch(loss).target(train).build();

    String loop = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
    switch (loop) {
      case "raw", "rawWithStepFetch" -> {
        Scaffold scaffold = Scaffold.of(graph).finalizeScaffold();
        raw = NativeSession.open(graph);
        raw.runner().addTarget(scaffold.initOp()).run().close();
        session = raw;
      }
      case "monitoredNoHook" -> monitored = MonitoredSession.builder(graph).build();
      case "mtsDefaultHooks" ->
          monitored = MonitoredTrainingSession.builder(graph).checkpointDir(workDir.resolve("train")).build();
      case "mtsFetchStepEveryN" ->
          monitored =
              MonitoredTrainingSession.builder(graph)
                  .checkpointDir(workDir.resolve("train"))
                  .fetchStepEveryNRuns(fetchStepEveryN)
                  .build();
      default -> throw new IllegalArgumentException("no loop named '" + loop + "'");
    }
    if (monitored != null) {
      session = monitored;
    }
  }

  @Setup(Level.Iteration)
  public void startIteration(IterationParams params) {
    measuring = params.getType() == IterationType.MEASUREMENT;
    cpuAtIterationStart = os.getProcessCpuTime();
    stepsAtIterationStart = steps;
  }

  @TearDown(Level.Iteration)
  public void endIteration() {
    if (measuring) {
      measuredCpuNanos += os.getProcessCpuTime() - cpuAtIterationStart;
      measuredSteps += steps - stepsAtIterationStart;
    }
  }

  @TearDown(Level.Trial)
  public void close(BenchmarkParams params) throws Exception {
    try {
      String cpuFile = System.getProperty("tfmon.bench.cpuFile");
      if (cpuFile != null && measuredSteps > 0) {
        String line =
            String.format(
                Locale.ROOT,
                "%s %s %s %.3f%n",
                params.getBenchmark(),
                size,
                model,
                measuredCpuNanos / 1e3 / measuredSteps);
        Files.writeString(
            Path.of(cpuFile), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
    } finally {
      session.close();
      xs.close();
      ys.close();
      graph.close();
      SummaryWriterCache.clear();
      deleteTree(workDir);
    }
  }

  @Benchmark
  public float raw() {
    steps++;
    try (RunResult r = raw.runner().feed(x, xs).feed(y, ys).fetch(loss).addTarget(train).run()) {
      return r.getFloat(loss);
    }
  }

  @Benchmark
  public float rawWithStepFetch() {
    steps++;
    try (RunResult r =
        raw.runner().feed(x, xs).feed(y, ys).fetch(loss).fetch(stepRead).addTarget(train).run()) {
      return r.getFloat(loss);
    }
  }

  @Benchmark
  public float monitoredNoHook() {
    return monitoredStep();
  }

  @Benchmark
  public float mtsDefaultHooks() {
    return monitoredStep();
  }

  @Benchmark
  public float mtsFetchStepEveryN() {
    return monitoredStep();
  }

  private float monitoredStep() {
    steps++;
    try (RunResult r = monitored.run(stepArgs)) {
      return r.getFloat(loss);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

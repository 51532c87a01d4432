package dev.tfmon.cli;

import dev.tfmon.checkpoint.Saver;
import dev.tfmon.cluster.ReplicaDeviceSetter;
import dev.tfmon.cluster.TaskServer;
import dev.tfmon.graph.GlobalStep;
import org.tensorflow.Output;
import org.tensorflow.types.TInt64;
import dev.tfmon.hook.SessionRunArgs;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.session.MonitoredTrainingSession;
import dev.tfmon.summary.Summaries;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.Scaffold;
import dev.tfmon.session.StopRequestedException;
import dev.tfmon.summary.EventFileReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TNumber;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tfmon train}: trains the built-in classifier (on built-in spirals or a CSV file), or a
 * graph exported by Python TensorFlow ({@code --meta-graph}), through a {@link MonitoredSession}
 * that restores the model directory's newest checkpoint, saves checkpoints and writes TensorBoard
 * summaries. SIGINT/SIGTERM stop it between steps with a final checkpoint.
 *
 * <pre>{@code
 * tfmon train --model-dir runs/spirals --max-steps 3000 --hidden 64,64
 * }</pre>
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a model with checkpoints, TensorBoard summaries and resumption.",
      "Without options: a multi-layer classifier on built-in 2-D spirals (3000 points, 3 classes),",
      "into ./runs/default. Run it again to resume from the latest checkpoint there.",
      "Ctrl-C or SIGTERM stops between steps and writes a checkpoint (exit code 130 or 143)."
    })
final class TrainCommand implements Callable<Integer> {
  static final long DEFAULT_MAX_STEPS = 2000;
  static final long DEFAULT_CHECKPOINT_STEPS = 500;

  @Option(names = "--model-dir", defaultValue = "runs/default", paramLabel = "DIR",
      description = "Checkpoints and event files go here; training resumes from it (default: ${DEFAULT-VALUE}).")
  Path modelDir;

  @Option(names = "--max-steps", paramLabel = "N",
      description = "Stop when the global step reaches N (counted across resumed runs). "
          + "Default: " + DEFAULT_MAX_STEPS + ", or no limit with --epochs.")
  Long maxSteps;

  @Option(names = "--epochs", paramLabel = "N",
      description = "Stop after N passes over the training data (in this run); the input pipeline ends with OUT_OF_RANGE.")
  Long epochs;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Examples per step (default: 64; with --meta-graph: all rows of --data).")
  Integer batchSize;

  @Option(names = "--learning-rate", defaultValue = "0.01", paramLabel = "LR",
      description = "Adam's learning rate for the built-in model (default: ${DEFAULT-VALUE}).")
  float learningRate;

  @Option(names = "--hidden", split = ",", defaultValue = "64,64", paramLabel = "N[,N...]",
      description = "Hidden layer sizes of the built-in model (default: ${DEFAULT-VALUE}).")
  List<Integer> hidden;

  @Option(names = "--save-checkpoint-steps", paramLabel = "N",
      description = "Save a checkpoint every N steps (default: 500 unless --save-checkpoint-secs).")
  Long saveCheckpointSteps;

  @Option(names = "--save-checkpoint-secs", paramLabel = "S", description = "Save a checkpoint every S seconds instead.")
  Long saveCheckpointSecs;

  @Option(names = "--summary-steps", defaultValue = "100", paramLabel = "N",
      description = "Write scalar summaries every N steps; 0 for none (default: ${DEFAULT-VALUE}).")
  int summarySteps;

  @Option(names = "--log-steps", defaultValue = "100", paramLabel = "N",
      description = "When the output is not a terminal, print a progress line every N steps (default: ${DEFAULT-VALUE}).")
  int logSteps;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
      description = "Seeds the data set, the initial weights and the shuffle (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--data", paramLabel = "FILE.csv",
      description = "Train on this CSV file (header line, numbers only) instead of the built-in spirals.")
  Path data;

  @Option(names = "--label-column", defaultValue = "label", paramLabel = "NAME",
      description = "The CSV column holding the class (default: ${DEFAULT-VALUE}); the others are features.")
  String labelColumn;

  @Option(names = "--meta-graph", paramLabel = "FILE.meta",
      description = "Train a graph exported by TensorFlow (e.g. Python's tf.compat.v1.train.Saver), fed from --data.")
  Path metaGraph;

  @Option(names = "--train-op", paramLabel = "OP",
      description = "With --meta-graph: the training op (default: the graph's train_op collection).")
  String trainOp;

  @Option(names = "--loss", paramLabel = "TENSOR",
      description = "With --meta-graph: the loss tensor to report (default: 'loss').")
  String loss;

  @Option(names = "--feed", paramLabel = "PLACEHOLDER=COL[,COL...]",
      description = "With --meta-graph: feed these CSV columns to a placeholder (repeatable); the dtype is the placeholder's.")
  List<String> feeds;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve /metrics in the Prometheus text format on 127.0.0.1:PORT (0: a free port, printed). "
          + "The run's MXBean tfmon:type=Training,name=<model dir name> is registered in any case.")
  Integer metricsPort;

  @Option(names = "--stall-timeout", defaultValue = "10m", paramLabel = "DURATION",
      description = "Log a thread dump and the run in flight when no step completes for this long, "
          + "e.g. 90s, 10m, 1h; 0 turns the watchdog off (default: ${DEFAULT-VALUE}).")
  String stallTimeout;

  @Option(names = "--cluster", paramLabel = "SPEC",
      description = "Train as one worker of this TensorFlow cluster (JSON file, JSON, or ps=h:p;worker=h:p,h:p): "
          + "variables on the ps tasks, worker 0 is the chief that checkpoints. Default: TF_CONFIG if set.")
  String cluster;

  @Option(names = "--job", paramLabel = "NAME", description = "With --cluster: this task's job; only worker trains (default: worker).")
  String job;

  @Option(names = "--task", paramLabel = "I", description = "With --cluster: this worker's index (default: 0).")
  Integer task;

  @CommandLine.Mixin ExportOptions export;

  /** Set by {@code tfmon cluster} on its children, so that they die with it. */
  @Option(names = "--exit-on-stdin-eof", hidden = true)
  boolean exitOnStdinEof;

  /** This worker's task when training on a cluster, else null. */
  private ClusterArgs distributed;

  /** This worker's own server (started before the graph is built), else null. */
  private TaskServer server;

  private Duration stall;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private PrintWriter out;

  @Override
  public Integer call() {
    out = spec.commandLine().getOut();
    validate();
    if (distributed != null) {
      startServer();
    }
    try (Graph graph = new Graph()) {
      return metaGraph != null ? trainMetaGraph(graph) : trainClassifier(graph);
    } finally {
      out.flush();
    }
  }

  private void validate() {
    stall = TrainingMonitoring.parseDuration("--stall-timeout", stallTimeout);
    validateCluster();
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw CliException.usage("--metrics-port must be between 0 and 65535, but got " + metricsPort);
    }
    if (saveCheckpointSteps != null && saveCheckpointSecs != null) {
      throw CliException.usage(
          "--save-checkpoint-steps " + saveCheckpointSteps + " and --save-checkpoint-secs " + saveCheckpointSecs
              + " exclude each other; give one");
    }
    positive("--save-checkpoint-steps", saveCheckpointSteps);
    positive("--save-checkpoint-secs", saveCheckpointSecs);
    positive("--max-steps", maxSteps);
    positive("--epochs", epochs);
    positive("--batch-size", batchSize == null ? null : (long) batchSize);
    if (summarySteps < 0) {
      throw CliException.usage("--summary-steps must be 0 (none) or positive, but got " + summarySteps);
    }
    if (logSteps < 1) {
      throw CliException.usage("--log-steps must be positive, but got " + logSteps);
    }
    if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
      throw CliException.usage("--learning-rate must be a positive number, but got " + learningRate);
    }
    for (int h : hidden) {
      if (h < 1 || h > 65_536) {
        throw CliException.usage("--hidden sizes must be between 1 and 65536, but got " + hidden);
      }
    }
    if (metaGraph == null) {
      for (String[] opt : new String[][] {{"--train-op", trainOp}, {"--loss", loss}}) {
        if (opt[1] != null) {
          throw CliException.usage(opt[0] + " '" + opt[1] + "' needs --meta-graph");
        }
      }
      if (feeds != null) {
        throw CliException.usage("--feed needs --meta-graph");
      }
    } else {
      InputPaths.readableFile("--meta-graph", metaGraph);
      if (data == null) {
        throw CliException.usage("--meta-graph needs --data FILE.csv to feed its placeholders");
      }
      if (feeds == null || feeds.isEmpty()) {
        throw CliException.usage("--meta-graph needs at least one --feed PLACEHOLDER=COL[,COL...]");
      }
    }
  }

  private void validateCluster() {
    distributed = ClusterArgs.resolve(cluster, job, task, "worker", System.getenv()).orElse(null);
    if (distributed == null) {
      return;
    }
    if (!distributed.job().equals("worker")) {
      throw CliException.usage("tfmon train runs worker tasks only, but the task is /job:" + distributed.job()
          + "/task:" + distributed.task() + " (serve a ps task with 'tfmon server')");
    }
    if (!distributed.cluster().hasJob("ps")) {
      throw CliException.usage("the cluster " + distributed.cluster().toCompactString()
          + " has no ps job to hold the variables; jobs are " + distributed.cluster().jobNames());
    }
    if (metaGraph != null) {
      throw CliException.usage("--meta-graph cannot train on a cluster (--cluster or TF_CONFIG): its variables have no ps placement");
    }
  }

  private boolean isChief() {
    return distributed == null || distributed.task() == 0;
  }

  private void startServer() {
    if (exitOnStdinEof) {
      ClusterArgs.exitOnStdinEof();
    }
    try {
      server = TaskServer.start(distributed.cluster(), distributed.job(), distributed.task());
    } catch (IllegalStateException e) {
      throw CliException.failure(e.getMessage(), e);
    }
    out.println(ServerCommand.readyLine(server));
    out.flush();
  }

  private static void positive(String option, Long value) {
    if (value != null && value < 1) {
      throw CliException.usage(option + " must be positive, but got " + value);
    }
  }

  private long lastStep() {
    return maxSteps != null ? maxSteps : epochs != null ? -1 : DEFAULT_MAX_STEPS;
  }

  // ---- the built-in classifier ----

  private int trainClassifier(Graph graph) {
    Dataset all = data != null ? Dataset.fromCsv(data, labelColumn) : Dataset.spirals(1000, 3, seed);
    Dataset.Split split = all.split(0.2, seed);
    int batch = batchSize != null ? batchSize : 64;
    ClassifierGraph model =
        ClassifierGraph.build(graph, split, hidden, batch, learningRate, epochs != null ? epochs : -1, seed,
            distributed == null ? null
                : new ClassifierGraph.Placement(ReplicaDeviceSetter.forCluster(distributed.cluster()), distributed.task()));
    Saver saver = Saver.builder(graph).maxToKeep(5).build();
    // Only the chief reads and writes the model directory; the other workers only train.
    Optional<ModelDirCheck.Resume> resume = isChief() ? ModelDirCheck.check(modelDir, graph) : Optional.empty();

    out.printf("data:  %s; %d for training, %d for evaluation%n", all.name(), split.train().size(), split.eval().size());
    out.printf("model: multi-layer classifier, layers %s (ReLU), %s(learning rate %s), batch %d%n",
        join(model.layerSizes()), distributed == null ? "Adam" : "GradientDescent", learningRate, batch);
    if (distributed != null) {
      out.printf("cluster: %s; this is /job:worker/task:%d%s; variables on %d ps task%s%n",
          distributed.cluster().toCompactString(), distributed.task(), isChief() ? " (chief)" : "",
          distributed.cluster().numTasks("ps"), distributed.cluster().numTasks("ps") == 1 ? "" : "s");
    }
    Map<String, Operand<?>> scalars = new LinkedHashMap<>();
    scalars.put("loss", model.loss());
    scalars.put("accuracy", model.batchAccuracy());
    long batchesPerEpoch = (split.train().size() + batch - 1) / batch;
    Scaffold scaffold = Scaffold.builder(graph).saver(saver).localInitOp(model.iteratorInit()).build();
    return run(graph, scaffold, resume, scalars, batchesPerEpoch,
        session -> session.runner().addTarget(model.trainOp()).run().close(), model.evalAccuracy(), split.eval().size());
  }

  private static String join(List<Integer> sizes) {
    List<String> s = new ArrayList<>();
    sizes.forEach(i -> s.add(Integer.toString(i)));
    return String.join("-", s);
  }

  // ---- a graph exported by Python ----

  private int trainMetaGraph(Graph graph) {
    MetaGraphTraining m = MetaGraphTraining.load(graph, metaGraph, trainOp, loss, data, feeds, batchSize);
    Saver saver = m.saver();
    Optional<ModelDirCheck.Resume> resume = ModelDirCheck.check(modelDir, graph);
    out.printf("data:  %s, %d rows; %s%n", data, m.rows(), m.feedDescription());
    out.printf("model: %s (train op '%s', loss '%s'), batch %d%n",
        metaGraph, m.trainOp().name(), m.loss().op().name(), m.batchSize());
    Map<String, Operand<?>> scalars = new LinkedHashMap<>();
    scalars.put("loss", m.loss());
    Scaffold scaffold = Scaffold.builder(graph).saver(saver).build();
    try {
      return run(graph, scaffold, resume, scalars, m.batchesPerEpoch(), m::step, null, 0);
    } finally {
      m.close();
    }
  }

  // ---- the shared loop ----

  /** One training step on the monitored session (with hooks). */
  @FunctionalInterface
  interface Step {
    void run(MonitoredSession session);
  }

  /**
   * Trains until the step limit, the end of the input or a signal, then prints the outcome.
   *
   * @return the exit code: 0, or 128 + the signal's number after a stop by signal
   */
  private int run(
      Graph graph, Scaffold scaffold, Optional<ModelDirCheck.Resume> resume,
      Map<String, Operand<?>> scalars, long batchesPerEpoch, Step trainStep, Operand<TFloat32> evalAccuracy,
      int evalExamples) {
    export.prepare(graph);
    long startStep = resume.map(ModelDirCheck.Resume::step).orElse(0L);
    long last = lastStep();
    long progressEnd = last;
    if (epochs != null) {
      long epochEnd = startStep + epochs * batchesPerEpoch;
      progressEnd = last < 0 ? epochEnd : Math.min(last, epochEnd);
    }
    if (isChief()) {
      try {
        Files.createDirectories(modelDir);
      } catch (IOException e) {
        throw CliException.failure("cannot create --model-dir " + modelDir + ": " + e.getMessage(), e);
      }
    }
    if (!isChief()) {
      out.printf("waiting for the chief (/job:worker/task:0) to initialize or restore the model%n");
    } else if (resume.isPresent()) {
      out.printf("resuming from checkpoint %s (global step %d)%n", resume.get().checkpoint(), startStep);
    } else {
      out.printf("starting from scratch in %s%n", modelDir);
    }
    boolean nothingToDo = last >= 0 && startStep >= last;
    if (nothingToDo) {
      out.printf("the global step %d already reached --max-steps %d: nothing to train (raise --max-steps to go on)%n",
          startStep, last);
    }
    out.flush();
    StopSignals signals = StopSignals.install(System.err);
    Progress progress = new Progress(out, System.console() != null, startStep, progressEnd, logSteps, System::nanoTime);
    if (summarySteps > 0) {
      // Summary ops in the graph: the Scaffold merges them and SummarySaverHook writes them.
      scalars.forEach((tag, op) -> Summaries.scalar(graph, tag, numeric(op)));
    }
    String runName = modelDir.toAbsolutePath().normalize().getFileName() == null
        ? "default" : modelDir.toAbsolutePath().normalize().getFileName().toString();
    Float accuracy = null;
    long finalGlobalStep = -1;
    ProgressHook progressHook = new ProgressHook(scalars.values().iterator().next(), progress);
    MonitoredTrainingSession.Builder mts =
        MonitoredTrainingSession.builder(graph)
            .checkpointDir(modelDir)
            .scaffold(scaffold)
            .saveSummariesSteps(summarySteps)
            .logStepCountSteps(summarySteps)
            .hook(progressHook);
    if (saveCheckpointSecs != null) {
      mts.saveCheckpointSecs(saveCheckpointSecs);
    } else {
      mts.saveCheckpointSteps(saveCheckpointSteps != null ? saveCheckpointSteps : DEFAULT_CHECKPOINT_STEPS);
    }
    if (last >= 0) {
      mts.hook(StopAtStepHook.lastStep(last));
    }
    export.addTo(mts);
    Output<TInt64> globalStep = null;
    if (distributed != null) {
      // Each worker talks to its own server; the device filters keep its sessions to the ps tasks
      // and itself, and a short recovery wait lets a non-chief start soon after the chief's init.
      mts.master(server.target())
          .isChief(isChief())
          .config(ReplicaDeviceSetter.forCluster(distributed.cluster()).sessionConfig(distributed.task()))
          .recoveryWait(Duration.ofMillis(500));
      globalStep = GlobalStep.readTensor(graph);
    }
    try (TrainingMonitoring monitoring =
            TrainingMonitoring.start(graph, runName, isChief() ? scaffold.saver() : null, modelDir, scalars, metricsPort, stall, out);
        MonitoredSession session = build(mts, monitoring)) {
      monitoring.attach(session);
      stoppedThroughJmx = monitoring::stopRequested;
      if (!nothingToDo) {
        session.runUntilStopped(
            s -> {
              if (signals.stopRequested()) {
                throw new StopRequestedException();
              }
              trainStep.run((MonitoredSession) s);
            });
      }
      if (globalStep != null) {
        try (RunResult r = session.runWithoutHooks(SessionRunArgs.fetch(globalStep))) {
          finalGlobalStep = ((TInt64) r.get(0)).getObject();
        }
        if (progressHook.lastStep() >= 0) {
          // the hook only counts this worker's runs since its last read; the others stepped too
          progress.note(finalGlobalStep, progressHook.lastLoss());
        }
      }
      progress.finish();
      if (evalAccuracy != null) {
        try (RunResult r = session.runWithoutHooks(SessionRunArgs.fetch(evalAccuracy))) {
          accuracy = ((TFloat32) r.get(0)).getFloat();
        }
      }
    }
    long reached = progressHook.lastStep() >= 0 ? progressHook.lastStep() : startStep;
    if (signals.stopRequested()) {
      out.printf("stopped by %s at global step %d%s%n", signals.received(), reached,
          isChief() ? "; checkpoint written" : " (the chief writes the checkpoint)");
    } else if (stoppedThroughJmx.getAsBoolean()) {
      out.printf("stopped through JMX (requestStop) at global step %d; checkpoint written%n", reached);
    } else if (!nothingToDo && (last < 0 || reached < last) && (distributed == null || epochs != null)) {
      out.printf("end of input after %d epoch%s at global step %d%n", epochs, epochs == 1 ? "" : "s", reached);
    }
    if (accuracy != null) {
      out.printf("eval accuracy: %.4f (%d examples)%n", accuracy, evalExamples);
    }
    if (!Double.isNaN(progressHook.lastLoss())) {
      out.printf("final loss: %s%n", Float.toString((float) progressHook.lastLoss()));
    }
    if (isChief()) {
      out.printf("checkpoint:  %s%n", Checkpoints.latestCheckpoint(modelDir).orElse("(none)"));
    List<Path> events = EventFileReader.eventFiles(modelDir);
    out.printf("event files: %s%s%n", events.isEmpty() ? "(none)" : events.get(events.size() - 1),
        events.size() > 1 ? " (and " + (events.size() - 1) + " earlier)" : "");
    }
    export.report(out);
    if (distributed != null) {
      out.printf("done: /job:worker/task:%d at global step %d%n", distributed.task(), finalGlobalStep);
    }
    out.flush();
    return signals.stopRequested() ? signals.exitCode() : 0;
  }

  private java.util.function.BooleanSupplier stoppedThroughJmx = () -> false;

  private static MonitoredSession build(MonitoredTrainingSession.Builder mts, TrainingMonitoring monitoring) {
    monitoring.addTo(mts);
    return mts.build();
  }

  @SuppressWarnings("unchecked")
  private static Operand<? extends TNumber> numeric(Operand<?> op) {
    return (Operand<? extends TNumber>) op;
  }
}

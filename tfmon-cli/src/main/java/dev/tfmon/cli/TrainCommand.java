package dev.tfmon.cli;

import dev.tfmon.checkpoint.CheckpointDirLock;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.cluster.TaskServer;
import dev.tfmon.cluster.TaskServerMain;
import dev.tfmon.eval.StopFlag;
import dev.tfmon.schedule.LearningRateSchedule;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.scaffold.Scaffold;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
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

  @Option(names = "--lr-schedule", paramLabel = "SPEC",
      description = "Decay the learning rate over the global step, TF 1.x's schedules starting at --learning-rate: "
          + "exponential:0.96:1000[:staircase], cosine:2000[:ALPHA], cosine-restarts:500[:2:1], polynomial:2000[:END:POWER], "
          + "piecewise:1000,2000:0.01,0.005,0.001, inverse-time:..., natural-exp:..., each optionally behind a linear "
          + "warm-up: warmup:100+cosine:2000. The rate is the learning_rate summary.")
  String lrSchedule;

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

  @Option(names = "--flush-secs", defaultValue = "5", paramLabel = "S",
      description = "Put summaries on disk at least every S seconds, so a killed run loses at most the last S "
          + "seconds of them (default: ${DEFAULT-VALUE}; TensorFlow's FileWriter waits 120).")
  double flushSecs;

  @Option(names = "--log-steps", defaultValue = "100", paramLabel = "N",
      description = "When the output is not a terminal, print a progress line every N steps (default: ${DEFAULT-VALUE}).")
  int logSteps;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
      description = "Seeds the data set, the train/eval split, the initial weights and the shuffle: "
          + "the same seed gives the same losses on one machine (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--data", paramLabel = "FILE.csv",
      description = "Train on this CSV file (header line, numbers only) instead of the built-in spirals.")
  Path data;

  @Option(names = "--label-column", defaultValue = "label", paramLabel = "NAME",
      description = "The CSV column holding the class (default: ${DEFAULT-VALUE}); the others are features.")
  String labelColumn;

  @Option(names = "--feature-columns", split = ",", paramLabel = "COL[,COL...]",
      description = "With --data: the CSV columns to use as features (default: every column but the label).")
  List<String> featureColumns;

  @Option(names = "--ignore-columns", split = ",", paramLabel = "COL[,COL...]",
      description = "With --data: CSV columns that are not features (e.g. a row index or an id).")
  List<String> ignoreColumns;

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
      description = "Serve /metrics for Prometheus on PORT of --metrics-host (0: a free port, printed): training, "
          + "JVM and process meters, OpenMetrics when the scraper asks for it. "
          + "The run's MXBean tfmon:type=Training,name=<model dir name> is registered in any case.")
  Integer metricsPort;

  @Option(names = "--metrics-host", paramLabel = "HOST",
      description = "With --metrics-port: the address to serve /metrics on (default: 127.0.0.1, this machine only; "
          + "0.0.0.0 for every interface, so that a Prometheus server elsewhere can scrape; it has no authentication).")
  String metricsHost;

  @Option(names = "--evaluator-timeout", defaultValue = "10m", paramLabel = "DURATION",
      description = "As TF_CONFIG's evaluator task: stop waiting for the chief's checkpoints after this long "
          + "without a new one (default: ${DEFAULT-VALUE}); it ends by itself once training has ended.")
  String evaluatorTimeout;

  @Option(names = "--stall-timeout", defaultValue = "10m", paramLabel = "DURATION",
      description = "Log a thread dump and the run in flight when no step completes for this long, "
          + "e.g. 90s, 10m, 1h; 0 turns the watchdog off (default: ${DEFAULT-VALUE}).")
  String stallTimeout;

  @Option(names = "--sync",
      description = "On a cluster: synchronous replicas (TF 1.x's SyncReplicasOptimizer): each step applies the "
          + "average of --replicas-to-aggregate workers' gradients; stale ones are dropped.")
  boolean sync;

  @Option(names = "--replicas-to-aggregate", paramLabel = "N",
      description = "With --sync: the gradients each step averages (default: every worker's; fewer leaves backup workers).")
  Integer replicasToAggregate;

  /** --cluster, --job, --task: train as one worker (or the chief) of a cluster. */
  @CommandLine.Mixin ClusterOptions clusterOptions;

  /** --export-dir and its signature options: a SavedModel at the end of training. */
  @CommandLine.Mixin ExportOptions export;

  /** --eval-every and the evaluation options: evaluation during training. */
  @CommandLine.Mixin EvalOptions evalOptions = new EvalOptions();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private PrintWriter out;
  private LearningRateSchedule schedule;
  private Duration evaluatorWait;

  @Override
  public Integer call() {
    out = spec.commandLine().getOut();
    TrainSettings settings = resolve();
    if (settings.distributed() != null && settings.distributed().isEvaluator()) {
      return evaluateAsSidecar(settings);
    }
    // The lock first: a second run on the directory fails at once, before any work, naming the first.
    try (CheckpointDirLock lock = settings.isChief() ? lock(settings.modelDir()) : null;
        Graph graph = new Graph()) {
      if (settings.distributed() != null) {
        settings = withServer(settings);
      }
      try (TrainingTask task = metaGraph != null ? metaGraphTask(graph) : classifierTask(graph, settings)) {
        // Only the chief reads and writes the model directory; the other workers only train.
        Optional<ModelDirCheck.Resume> resume =
            settings.isChief() ? ModelDirCheck.check(settings.modelDir(), graph) : Optional.empty();
        if (!settings.isChief()) {
          out.printf("waiting for the chief (%s) to initialize or restore the model%n", settings.distributed().chiefName());
        } else if (resume.isPresent()) {
          out.printf("resuming from checkpoint %s (global step %d)%n", resume.get().checkpoint(), resume.get().step());
        } else {
          out.printf("starting from scratch in %s%n", settings.modelDir());
        }
        out.flush();
        export.prepare(graph);
        TrainingRun.Outcome outcome =
            new TrainingRun(settings, export, out).run(graph, task, resume.map(ModelDirCheck.Resume::step).orElse(0L));
        new TrainReport(settings, export, out).print(outcome);
        return outcome.exitCode();
      }
    } finally {
      out.flush();
    }
  }

  /** Checks every option and applies the defaults; usage errors name the option and value. */
  private TrainSettings resolve() {
    Duration stall = TrainingMonitoring.parseDuration("--stall-timeout", stallTimeout);
    // checked in every task: pods of one job share their command line
    evaluatorWait = TrainingMonitoring.parseDuration("--evaluator-timeout", evaluatorTimeout);
    if (evaluatorWait.isZero()) {
      throw CliException.usage("--evaluator-timeout must be a positive duration such as 90s or 10m, but got '"
          + evaluatorTimeout + "'");
    }
    ClusterArgs distributed = resolveCluster();
    checkSync(distributed);
    MetricsEndpoint metrics = resolveMetrics();
    if (saveCheckpointSteps != null && saveCheckpointSecs != null) {
      throw CliException.usage(
          "--save-checkpoint-steps " + saveCheckpointSteps + " and --save-checkpoint-secs " + saveCheckpointSecs
              + " exclude each other; give one");
    }
    checkNumbers();
    checkInputs();
    if (Files.exists(modelDir) && !Files.isDirectory(modelDir)) {
      throw CliException.usage("--model-dir " + modelDir + ": exists and is not a directory");
    }
    EvalSettings eval = evalOptions.resolve(metaGraph != null);
    if (eval != null && eval.exportBest() != null && export.exportDir == null) {
      throw CliException.usage("--export-best " + evalOptions.exportBest + " needs --export-dir DIR");
    }
    if (lrSchedule != null) {
      if (metaGraph != null) {
        throw CliException.usage("--lr-schedule works with the built-in model only, not with --meta-graph");
      }
      schedule = ScheduleSpec.parse(lrSchedule, learningRate);
    }
    long lastStep = maxSteps != null ? maxSteps : epochs != null ? -1 : DEFAULT_MAX_STEPS;
    Long checkpointSteps = saveCheckpointSecs != null ? null
        : saveCheckpointSteps != null ? saveCheckpointSteps : DEFAULT_CHECKPOINT_STEPS;
    return new TrainSettings(modelDir, lastStep, epochs, checkpointSteps, saveCheckpointSecs, summarySteps, flushSecs, logSteps,
        metrics, stall, distributed, null, eval);
  }

  /** The numeric options: counts, intervals, the learning rate and the hidden layer sizes. */
  private void checkNumbers() {
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
    if (!(flushSecs >= 0) || flushSecs > 86_400) {
      throw CliException.usage("--flush-secs must be between 0 and 86400 seconds, but got " + flushSecs);
    }
    if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
      throw CliException.usage("--learning-rate must be a positive number, but got " + learningRate);
    }
    for (int h : hidden) {
      if (h < 1 || h > 65_536) {
        throw CliException.usage("--hidden sizes must be between 1 and 65536, but got " + hidden);
      }
    }
  }

  /** Which inputs go together: --data, --meta-graph and the options that need one of them. */
  private void checkInputs() {
    if (featureColumns != null && ignoreColumns != null) {
      throw CliException.usage("--feature-columns and --ignore-columns exclude each other; give one");
    }
    if (data == null || metaGraph != null) {
      for (String[] opt : new String[][] {
          {"--feature-columns", featureColumns == null ? null : String.join(",", featureColumns)},
          {"--ignore-columns", ignoreColumns == null ? null : String.join(",", ignoreColumns)}}) {
        if (opt[1] != null) {
          throw CliException.usage(opt[0] + " " + opt[1] + " needs --data (without --meta-graph, whose columns --feed names)");
        }
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

  /** The /metrics address, or null without --metrics-port; a host that is not loopback is warned about. */
  private MetricsEndpoint resolveMetrics() {
    if (metricsPort == null) {
      if (metricsHost != null) {
        throw CliException.usage("--metrics-host " + metricsHost + " needs --metrics-port PORT");
      }
      return null;
    }
    if (metricsPort < 0 || metricsPort > 65535) {
      throw CliException.usage("--metrics-port must be between 0 and 65535, but got " + metricsPort);
    }
    MetricsEndpoint endpoint = MetricsEndpoint.resolve(metricsHost, metricsPort);
    if (!endpoint.isLoopback()) {
      warn("--metrics-host " + endpoint.host() + " is not a loopback address: every host that can reach this one "
          + "can read /metrics (no authentication)");
    }
    return endpoint;
  }

  private ClusterArgs resolveCluster() {
    ClusterArgs distributed = clusterOptions.resolve("worker").orElse(null);
    if (distributed == null) {
      return null;
    }
    if (distributed.isEvaluator()) {
      if (metaGraph != null) {
        throw CliException.usage("--meta-graph cannot be evaluated by " + distributed.taskName()
            + ": the evaluator task evaluates the built-in model only");
      }
      return distributed;
    }
    if (!distributed.job().equals("worker") && !distributed.job().equals("chief")) {
      throw CliException.usage("tfmon train runs worker and chief tasks only, but the task is " + distributed.taskName()
          + " (serve a ps task with 'tfmon server')");
    }
    if (!distributed.cluster().hasJob("ps")) {
      throw CliException.usage("the cluster " + distributed.cluster().toCompactString()
          + " has no ps job to hold the variables; jobs are " + distributed.cluster().jobNames());
    }
    if (metaGraph != null) {
      throw CliException.usage("--meta-graph cannot train on a cluster (--cluster or TF_CONFIG): its variables have no ps placement");
    }
    return distributed;
  }

  private void checkSync(ClusterArgs distributed) {
    if (replicasToAggregate != null && !sync) {
      throw CliException.usage("--replicas-to-aggregate " + replicasToAggregate + " needs --sync");
    }
    if (!sync) {
      return;
    }
    if (distributed == null) {
      throw CliException.usage("--sync needs a cluster (--cluster SPEC or the TF_CONFIG environment variable)");
    }
    if (replicasToAggregate != null && replicasToAggregate < 1) {
      throw CliException.usage("--replicas-to-aggregate must be positive, but got " + replicasToAggregate);
    }
    if (epochs != null) {
      // every worker would end at the end of its own data, and the others wait for its gradients
      throw CliException.usage("--sync stops at --max-steps; --epochs " + epochs + " cannot end synchronous replicas together");
    }
    if (lrSchedule != null) {
      throw CliException.usage("--lr-schedule " + lrSchedule + " does not apply to --sync: the synchronous replicas'"
          + " optimizer takes the fixed --learning-rate");
    }
  }

  private static CheckpointDirLock lock(Path modelDir) {
    try {
      return CheckpointDirLock.acquire(modelDir);
    } catch (CheckpointDirLock.HeldException e) {
      throw CliException.failure("--model-dir " + modelDir + " is in use by another training run (" + e.holder()
          + "); wait for it to end, or use another --model-dir", e);
    } catch (UncheckedIOException e) {
      throw CliException.failure("--model-dir " + modelDir + ": " + e.getMessage(), e);
    }
  }

  /** Starts this worker's own server (before the graph is built) and prints its READY line. */
  private TrainSettings withServer(TrainSettings s) {
    clusterOptions.watchParent();
    TaskServer server;
    try {
      server = TaskServer.start(s.distributed().cluster(), s.distributed().job(), s.distributed().task());
    } catch (IllegalStateException e) {
      throw CliException.failure(e.getMessage(), e);
    }
    out.println(TaskServerMain.readyLine(server));
    out.flush();
    return new TrainSettings(s.modelDir(), s.lastStep(), s.epochs(), s.checkpointSteps(), s.checkpointSecs(),
        s.summarySteps(), s.flushSecs(), s.logSteps(), s.metrics(), s.stallTimeout(), s.distributed(), server, s.eval());
  }

  private static void positive(String option, Long value) {
    if (value != null && value < 1) {
      throw CliException.usage(option + " must be positive, but got " + value);
    }
  }

  // ---- TF_CONFIG's evaluator ----

  /**
   * The evaluator task: outside the cluster (no server, no session with it), it evaluates the
   * chief's checkpoints in {@code --model-dir} as {@code tfmon evaluate --watch} does, on the rows
   * training holds out, until the chief has written a checkpoint at {@code --max-steps} and ended,
   * or {@code --evaluator-timeout} passes without a new checkpoint. It takes no lock and never
   * waits on training; the chief never waits on it.
   */
  private int evaluateAsSidecar(TrainSettings settings) {
    ClusterArgs me = settings.distributed();
    if (settings.eval() != null) {
      out.println(me.taskName() + " is the evaluator, but the chief evaluates in its own process (--eval-every "
          + evalOptions.evalEvery + "): nothing to evaluate here; exiting");
      out.flush();
      return 0;
    }
    Dataset rows = split(allRows(), null).eval();
    long last = settings.lastStep();
    out.printf("%s is the evaluator, outside the cluster %s: evaluating each checkpoint of %s on %s (%d examples) "
            + "%s, or until %s pass without a new one%n",
        me.taskName(), me.cluster().toCompactString(), settings.modelDir(), rows.name(), rows.size(),
        last >= 0 ? "until training ends at global step " + last : "until training ends", evaluatorTimeout);
    out.flush();
    try {
      new SidecarEvaluator(settings.modelDir(), rows, null, out).run(evaluatorWait, last >= 0 ? last : null);
    } catch (dev.tfmon.errors.TensorFlowStatusException e) {
      throw CliException.failure("evaluation failed: " + e.firstLine(), e);
    }
    return 0;
  }

  // ---- the built-in classifier ----

  /** The rows of --data, or the built-in spirals. */
  private Dataset allRows() {
    return data != null
        ? Dataset.fromCsv(data, labelColumn, featureColumns == null ? List.of() : featureColumns,
            ignoreColumns == null ? List.of() : ignoreColumns, this::warn)
        : Dataset.spirals(1000, 3, seed);
  }

  /** The training rows and the rows held out for evaluation (or those of --eval-data). */
  private Dataset.Split split(Dataset all, EvalSettings eval) {
    return eval != null && eval.evalData() != null
        ? new Dataset.Split(all, evalRows(eval.evalData(), all))
        : all.split(0.2, seed);
  }

  private TrainingTask classifierTask(Graph graph, TrainSettings settings) {
    Dataset all = allRows();
    EvalSettings eval = settings.eval();
    Dataset.Split split = split(all, eval);
    int batch = batchSize != null ? batchSize : 64;
    if (batch > split.train().size()) {
      throw CliException.usage("--batch-size " + batch + " is larger than the " + split.train().size()
          + " training rows of " + all.name());
    }
    ClusterArgs distributed = settings.distributed();
    ClassifierGraph.Placement placement = distributed == null ? null
        : sync ? new ClassifierGraph.Placement(distributed.placement(), distributed.task(),
            replicasToAggregate != null ? replicasToAggregate : distributed.replicas(), distributed.replicas())
        : new ClassifierGraph.Placement(distributed.placement(), distributed.task());
    ClassifierGraph model =
        ClassifierGraph.build(graph, split, hidden, batch, learningRate, schedule, epochs != null ? epochs : -1, seed, placement);
    // every worker builds the flag, in the same place: the chief sets it, the others read it
    StopFlag flag = eval != null && eval.earlyStop() != null && placement != null
        ? StopFlag.create(graph, placement.setter().nextVariableDevice()) : null;
    Saver saver = Saver.builder(graph).maxToKeep(5).build();
    if (eval != null && eval.evalData() != null) {
      out.printf("data:  %s for training; %s for evaluation%n", all.name(), split.eval().name());
    } else {
      out.printf("data:  %s; %d for training, %d for evaluation%n", all.name(), split.train().size(), split.eval().size());
    }
    out.printf("model: multi-layer classifier, layers %s (ReLU), %s(learning rate %s%s), batch %d%n",
        join(model.layerSizes()), "Adam", learningRate,
        lrSchedule == null ? "" : ", " + lrSchedule, batch);
    if (eval != null) {
      out.printf("eval:  %s on %d examples (accuracy, loss) into %s%s%s%s%n", eval.describe(), split.eval().size(),
          settings.modelDir().resolve("eval"),
          eval.earlyStop() == null ? "" : String.format("; early stop on %s, patience %d", eval.earlyStop(), eval.patience()),
          eval.keepBest() == 0 ? "" : String.format("; keep the %d best by %s in %s", eval.keepBest(), eval.bestGoal(),
              settings.modelDir().resolve("best")),
          eval.exportBest() == null ? "" : String.format("; export the best by %s to %s", eval.exportBest(), export.exportDir));
    }
    if (distributed != null) {
      out.printf("cluster: %s; this is %s%s; variables on %d ps task%s%n",
          distributed.cluster().toCompactString(), distributed.taskName(), settings.isChief() ? " (chief)" : "",
          distributed.cluster().numTasks("ps"), distributed.cluster().numTasks("ps") == 1 ? "" : "s");
      if (model.sync() != null) {
        out.printf("synchronous replicas: each step averages %d of the %d workers' gradients%s%n",
            model.sync().replicasToAggregate(), model.sync().totalReplicas(),
            model.sync().replicasToAggregate() < model.sync().totalReplicas() ? " (the others are backups)" : "");
      }
    }
    Map<String, Operand<?>> scalars = new LinkedHashMap<>();
    scalars.put("loss", model.loss());
    scalars.put("accuracy", model.batchAccuracy());
    long batchesPerEpoch = (split.train().size() + batch - 1) / batch;
    Scaffold scaffold = Scaffold.builder(graph).saver(saver).localInitOp(model.iteratorInit()).build();
    TrainingEvaluation evaluation = eval == null ? null
        : new TrainingEvaluation(eval, settings.modelDir(), new ClassifierEvaluation(model.layerSizes(), split.eval()),
            scaffold, flag, export);
    return new TrainingTask(scaffold, scalars, batchesPerEpoch,
        session -> session.runner().addTarget(model.trainOp()).run().close(), model.evalAccuracy(), split.eval().size(),
        () -> {}, evaluation,
        model.sync() == null ? List.of() : List.of(model.sync().hook(settings.isChief())));
  }

  /** The rows of {@code --eval-data}, their columns and classes matched to the training data's. */
  private Dataset evalRows(Path file, Dataset train) {
    Dataset rows = Dataset.fromCsv(file, labelColumn, train.featureNames(), List.of(), this::warn);
    return rows.withClassesOf(train, "--eval-data " + file);
  }

  private void warn(String message) {
    System.err.println("tfmon: warning: " + message);
    System.err.flush();
  }

  private static String join(List<Integer> sizes) {
    List<String> s = new ArrayList<>();
    sizes.forEach(i -> s.add(Integer.toString(i)));
    return String.join("-", s);
  }

  // ---- a graph exported by Python ----

  private TrainingTask metaGraphTask(Graph graph) {
    MetaGraphTraining m = MetaGraphTraining.load(graph, metaGraph, trainOp, loss, data, feeds, batchSize);
    out.printf("data:  %s, %d rows; %s%n", data, m.rows(), m.feedDescription());
    out.printf("model: %s (train op '%s', loss '%s'), batch %d%n",
        metaGraph, m.trainOp().name(), m.loss().op().name(), m.batchSize());
    Map<String, Operand<?>> scalars = new LinkedHashMap<>();
    scalars.put("loss", m.loss());
    Scaffold scaffold = Scaffold.builder(graph).saver(m.saver()).build();
    return new TrainingTask(scaffold, scalars, m.batchesPerEpoch(), m::step, null, 0, m, null, List.of());
  }
}

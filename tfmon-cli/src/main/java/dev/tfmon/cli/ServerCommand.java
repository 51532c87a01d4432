package dev.tfmon.cli;

import dev.tfmon.cluster.TaskServer;
import dev.tfmon.cluster.TaskServerMain;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tfmon server}: serves one task of a TensorFlow cluster (typically a parameter server) in
 * this process with TensorFlow's gRPC runtime, prints {@code READY grpc://host:port /job:J/task:I}
 * and blocks until the process is killed.
 *
 * <pre>{@code
 * tfmon server --cluster 'ps=127.0.0.1:2222;worker=127.0.0.1:2223' --job ps --task 0
 * TF_CONFIG='{"cluster": {...}, "task": {"type": "ps", "index": 0}}' tfmon server
 * }</pre>
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serve one task of a TensorFlow cluster (e.g. a parameter server) until killed.",
      "Prints 'READY grpc://host:port /job:NAME/task:I' once serving. Without --cluster, TF_CONFIG gives",
      "the cluster, the job and the task. TensorFlow servers have no clean shutdown: stop it with Ctrl-C or kill."
    })
final class ServerCommand implements Callable<Integer> {
  @Option(names = "--cluster", paramLabel = "SPEC",
      description = "The cluster: a JSON file, inline JSON ({\"ps\": [\"host:port\"], ...}) or ps=host:port;worker=host:port,host:port.")
  String cluster;

  @Option(names = "--job", paramLabel = "NAME", description = "This task's job, e.g. ps (default: TF_CONFIG's).")
  String job;

  @Option(names = "--task", paramLabel = "I", description = "This task's index in its job (default: TF_CONFIG's, or 0).")
  Integer task;

  /** Set by {@code tfmon cluster} on its children, so that they die with it. */
  @Option(names = "--exit-on-stdin-eof", hidden = true)
  boolean exitOnStdinEof;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    ClusterArgs me =
        ClusterArgs.resolve(cluster, job, task, null, System.getenv())
            .orElseThrow(() -> CliException.usage("no --cluster given and TF_CONFIG is not set"));
    if (exitOnStdinEof) {
      ClusterArgs.exitOnStdinEof();
    }
    TaskServer server;
    try {
      server = TaskServer.start(me.cluster(), me.job(), me.task());
    } catch (IllegalStateException e) {
      throw CliException.failure(e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(readyLine(server));
    out.flush();
    server.join();
    return 0;
  }

  /** The line {@code tfmon cluster} and {@link dev.tfmon.cluster.LocalCluster} wait for. */
  static String readyLine(TaskServer server) {
    return TaskServerMain.READY_PREFIX + server.target() + " /job:" + server.job() + "/task:" + server.task();
  }
}

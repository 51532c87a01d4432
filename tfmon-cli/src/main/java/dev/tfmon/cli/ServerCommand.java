package dev.tfmon.cli;

import dev.tfmon.cluster.TaskServer;
import dev.tfmon.cluster.TaskServerMain;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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
  @Mixin ClusterOptions clusterOptions;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    ClusterArgs me =
        clusterOptions.resolve(null)
            .orElseThrow(() -> CliException.usage("no --cluster given and TF_CONFIG is not set"));
    PrintWriter out = spec.commandLine().getOut();
    if (me.isEvaluator()) {
      out.println(me.evaluatorNote());
      out.flush();
      return 0;
    }
    clusterOptions.watchParent();
    TaskServer server;
    try {
      server = TaskServer.start(me.cluster(), me.job(), me.task());
    } catch (IllegalStateException e) {
      throw CliException.failure(e.getMessage(), e);
    }
    out.println(TaskServerMain.readyLine(server));
    out.flush();
    server.join();
    return 0;
  }
}

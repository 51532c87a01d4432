package dev.tfmon.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Server;

/**
 * One task of a TensorFlow cluster served in this process by TensorFlow's own gRPC runtime
 * ({@code org.tensorflow.Server}). Sessions reach it at {@link #target()}.
 *
 * <p>TensorFlow cannot stop a started server (its {@code Server.stop()} fails: the C runtime has no
 * clean shutdown of a gRPC server), so a task lives as long as its JVM: run each task in its own
 * process (see {@link TaskServerMain} and {@link LocalCluster}) and end it by killing the process.
 * For the same reason this class is not {@code AutoCloseable}.
 *
 * <p>TensorFlow's server listens on its port on every network interface ({@code 0.0.0.0}, whatever
 * host the cluster spec names: its {@code ServerDef} has no bind address) and has no
 * authentication. When the spec names a loopback host, {@link #start} says so in one WARN line.
 * Confine the port with a firewall, a network namespace or a private network.
 *
 * <pre>{@code
 * ClusterSpec spec = ClusterSpec.parse("ps=127.0.0.1:2222;worker=127.0.0.1:2223");
 * TaskServer.run(spec, "ps", 0);                     // blocks for the life of the process
 *
 * TaskServer me = TaskServer.start(spec, "worker", 0);  // or: serve and train in one process
 * MonitoredSession session = ... master(me.target()) ...;
 * }</pre>
 */
public final class TaskServer {
  private static final Logger LOG = LoggerFactory.getLogger(TaskServer.class);
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

  /** Words every exposure warning holds, for output filters. */
  public static final String EXPOSURE_MARKER = "of every network interface";

  private final ClusterSpec cluster;
  private final String job;
  private final int task;
  private final Server server;

  private TaskServer(ClusterSpec cluster, String job, int task, Server server) {
    this.cluster = cluster;
    this.job = job;
    this.task = task;
    this.server = server;
  }

  /**
   * Starts task {@code task} of {@code job} and returns once it is serving.
   *
   * @throws IllegalArgumentException if the cluster has no such task
   * @throws IllegalStateException if the task cannot serve: "cannot serve /job:ps/task:0: port 2222
   *     is in use" when something listens on its port, else TensorFlow's reason
   */
  public static TaskServer start(ClusterSpec cluster, String job, int task) {
    var def = cluster.toServerDef(job, task);
    String name = "/job:" + job + "/task:" + task;
    int port = port(cluster.address(job, task));
    // checked before TensorFlow tries: its failure prints kilobytes of gRPC diagnostics on stderr
    ListenPorts.problem(port).ifPresent(problem -> {
      throw new IllegalStateException("cannot serve " + name + ": " + problem);
    });
    Server server;
    try {
      server = new Server(def);
      server.start();
    } catch (RuntimeException e) {
      // someone took the port since the check
      String problem = ListenPorts.problem(port).orElse(e.getMessage());
      throw new IllegalStateException("cannot serve " + name + " at " + cluster.address(job, task) + ": " + problem, e);
    }
    TaskServer started = new TaskServer(cluster, job, task, server);
    LOG.info("Started {} of cluster {} at {}", name, cluster.toCompactString(), started.target());
    exposureWarning(cluster, job, task).ifPresent(LOG::warn);
    return started;
  }

  /** Starts the task and blocks for the life of the process (see the class comment). */
  public static void run(ClusterSpec cluster, String job, int task) {
    start(cluster, job, task).join();
  }

  /**
   * The warning for a task whose spec names a loopback host, which TensorFlow does not confine it
   * to; empty for any other host.
   */
  public static Optional<String> exposureWarning(ClusterSpec cluster, String job, int task) {
    String address = cluster.address(job, task);
    String host = host(address);
    if (!isLoopback(host)) {
      return Optional.empty();
    }
    return Optional.of(
        "/job:" + job + "/task:" + task + " listens on port " + port(address) + " " + EXPOSURE_MARKER
            + ", not only on " + host + " as the cluster spec says: TensorFlow's gRPC server binds all interfaces"
            + " and has no authentication, so whoever reaches the port can run any op on this machine;"
            + " block it with a firewall or use a network namespace or private network (README: Security)");
  }

  /** The warning for a cluster whose tasks are all on loopback hosts (see {@link LocalCluster}). */
  public static Optional<String> exposureWarning(ClusterSpec cluster) {
    List<String> ports = new ArrayList<>();
    for (String job : cluster.jobNames()) {
      for (String address : cluster.addresses(job)) {
        if (!isLoopback(host(address))) {
          return Optional.empty();
        }
        ports.add(Integer.toString(port(address)));
      }
    }
    return Optional.of(
        "the cluster's tasks listen on ports " + String.join(", ", ports) + " " + EXPOSURE_MARKER
            + ", not only on loopback: TensorFlow's gRPC server binds all interfaces and has no authentication,"
            + " so whoever reaches these ports can run any op on this machine; block them with a firewall"
            + " or use a network namespace or private network (README: Security)");
  }

  /** Whether {@code host} (from a cluster spec) is {@code localhost} or a loopback IP literal. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost")) {
      return true;
    }
    boolean literal = IPV4.matcher(h).matches() || (h.startsWith("[") && h.endsWith("]"));
    if (!literal) {
      return false; // a name: resolving it here could block on DNS
    }
    try {
      return InetAddress.getByName(h.startsWith("[") ? h.substring(1, h.length() - 1) : h).isLoopbackAddress();
    } catch (UnknownHostException notAnAddress) {
      return false;
    }
  }

  private static String host(String address) {
    return address.substring(0, address.lastIndexOf(':'));
  }

  private static int port(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  /** Blocks while the server runs, which is until the process ends. */
  public void join() {
    server.join();
  }

  /** This task's session target, {@code grpc://host:port}. */
  public String target() {
    return cluster.target(job, task);
  }

  public ClusterSpec cluster() {
    return cluster;
  }

  public String job() {
    return job;
  }

  public int task() {
    return task;
  }
}

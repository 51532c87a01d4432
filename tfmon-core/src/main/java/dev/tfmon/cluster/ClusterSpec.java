package dev.tfmon.cluster;

import dev.tfmon.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.JobDef;
import org.tensorflow.proto.ServerDef;

/**
 * The tasks of a TensorFlow cluster: job name to the {@code host:port} address of each task (task
 * {@code i} is element {@code i}), like Python's {@code tf.train.ClusterSpec}. Immutable; jobs are
 * kept sorted by name. Every constructor validates: job names match {@code [A-Za-z][A-Za-z0-9_]*},
 * every job has at least one task, addresses are {@code host:port} with a port in 1..65535, and no
 * address is used twice; messages name the bad job and address.
 *
 * <pre>{@code
 * ClusterSpec spec = ClusterSpec.builder()
 *     .job("ps", "127.0.0.1:2222")
 *     .job("worker", "127.0.0.1:2223", "127.0.0.1:2224")
 *     .build();
 * ClusterSpec same = ClusterSpec.fromJson("{\"ps\": [\"127.0.0.1:2222\"], \"worker\": [...]}");
 * ServerDef def = spec.toServerDef("worker", 1);     // for org.tensorflow.Server
 * String master = spec.target("worker", 1);           // "grpc://127.0.0.1:2224"
 * }</pre>
 *
 * @param jobs job name to task addresses, sorted by job name
 */
public record ClusterSpec(Map<String, List<String>> jobs) {
  private static final Pattern JOB_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

  public ClusterSpec {
    if (jobs == null) {
      throw new IllegalArgumentException("expected a map of jobs, but got null");
    }
    if (jobs.isEmpty()) {
      throw new IllegalArgumentException("expected at least one job in the cluster, but got none");
    }
    Map<String, List<String>> copy = new TreeMap<>();
    Map<String, String> owners = new HashMap<>();
    for (Map.Entry<String, List<String>> e : jobs.entrySet()) {
      String job = e.getKey();
      if (job == null || !JOB_NAME.matcher(job).matches()) {
        throw new IllegalArgumentException(
            "expected a job name matching [A-Za-z][A-Za-z0-9_]*, but got \"" + job + "\"");
      }
      List<String> addresses = e.getValue();
      if (addresses == null || addresses.isEmpty()) {
        throw new IllegalArgumentException(
            "job \"" + job + "\" has no tasks; expected at least one host:port address");
      }
      for (int i = 0; i < addresses.size(); i++) {
        String address = addresses.get(i);
        checkAddress(job, i, address);
        String previous = owners.put(address, "/job:" + job + "/task:" + i);
        if (previous != null) {
          throw new IllegalArgumentException(
              "address \"" + address + "\" is used by both " + previous + " and /job:" + job
                  + "/task:" + i);
        }
      }
      copy.put(job, List.copyOf(addresses));
    }
    jobs = Collections.unmodifiableMap(copy);
  }

  /** A spec from a map of job name to task addresses. */
  public static ClusterSpec of(Map<String, List<String>> jobs) {
    return new ClusterSpec(jobs);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Parses a JSON object of job name to an array of addresses, as in the {@code "cluster"} part of
   * {@code TF_CONFIG}. A whole {@code TF_CONFIG} document is accepted too (its {@code "cluster"} is
   * used).
   *
   * @throws IllegalArgumentException for invalid JSON or an invalid cluster, naming what is wrong
   */
  public static ClusterSpec fromJson(String json) {
    Object root = Json.parse(json);
    if (!(root instanceof Map)) {
      throw new IllegalArgumentException(
          "expected a JSON object of job name to task addresses, but got " + describe(root));
    }
    Map<?, ?> map = (Map<?, ?>) root;
    if (map.containsKey("cluster")) {
      return fromJsonValue(map.get("cluster"), "\"cluster\"");
    }
    return fromJsonValue(map, "the cluster");
  }

  /** Reads {@link #fromJson} from a UTF-8 file. */
  public static ClusterSpec fromJsonFile(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read cluster spec file " + file, e);
    }
    try {
      return fromJson(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad cluster spec file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses a command line's cluster argument: inline JSON (text starting with <code>'&#123;'</code>), the
   * compact form of {@link #parse} (text with a {@code '='}), or else the path of a JSON file.
   *
   * @throws IllegalArgumentException for a bad spec, or "no such file (...)" / "is a directory
   *     (...)" for a path that names no file; callers prefix the argument
   * @throws UncheckedIOException if the file cannot be read
   */
  public static ClusterSpec fromArgument(String arg) {
    String text = arg == null ? "" : arg.strip();
    if (text.startsWith("{") || text.contains("=") || text.isEmpty()) {
      return parse(text);
    }
    Path file = Path.of(text);
    String notSpecEither = " (and not inline JSON or job=host:port[,host:port...][;job=...] either)";
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("no such file" + notSpecEither);
    }
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException("is a directory, not a JSON file" + notSpecEither);
    }
    return fromJsonFile(file);
  }

  /**
   * Parses either JSON ({@link #fromJson}, text starting with <code>'&#123;'</code>) or the compact command
   * line form {@code job=host:port,host:port;job=host:port}, e.g. {@code
   * ps=127.0.0.1:2222;worker=127.0.0.1:2223,127.0.0.1:2224}.
   */
  public static ClusterSpec parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("expected a cluster spec, but got \"" + text + "\"");
    }
    String trimmed = text.strip();
    if (trimmed.startsWith("{")) {
      return fromJson(trimmed);
    }
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    for (String part : trimmed.split(";")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "expected job=host:port[,host:port...] in the cluster spec, but got \"" + part + "\"");
      }
      String job = part.substring(0, eq).strip();
      List<String> addresses = new ArrayList<>();
      for (String a : part.substring(eq + 1).split(",", -1)) {
        addresses.add(a.strip());
      }
      if (jobs.put(job, addresses) != null) {
        throw new IllegalArgumentException("job \"" + job + "\" is given twice in \"" + text + "\"");
      }
    }
    return new ClusterSpec(jobs);
  }

  static ClusterSpec fromJsonValue(Object value, String what) {
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException(
          "expected " + what + " to be an object of job name to task addresses, but got "
              + describe(value));
    }
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
      String job = (String) e.getKey();
      if (!(e.getValue() instanceof List)) {
        throw new IllegalArgumentException(
            "expected job \"" + job + "\" to be an array of \"host:port\" strings, but got "
                + describe(e.getValue()));
      }
      List<String> addresses = new ArrayList<>();
      for (Object a : (List<?>) e.getValue()) {
        if (!(a instanceof String)) {
          throw new IllegalArgumentException(
              "expected the addresses of job \"" + job + "\" to be strings, but got " + describe(a));
        }
        addresses.add((String) a);
      }
      jobs.put(job, addresses);
    }
    return new ClusterSpec(jobs);
  }

  static String describe(Object jsonValue) {
    if (jsonValue instanceof String) {
      return "the string " + Json.quote((String) jsonValue);
    }
    if (jsonValue instanceof Map) {
      return "an object";
    }
    if (jsonValue instanceof List) {
      return "an array";
    }
    return String.valueOf(jsonValue);
  }

  private static void checkAddress(String job, int task, String address) {
    String where = "task " + task + " of job \"" + job + "\"";
    if (address == null || address.isBlank()) {
      throw new IllegalArgumentException(
          "expected a host:port address for " + where + ", but got \"" + address + "\"");
    }
    int colon = address.lastIndexOf(':');
    String host = colon < 0 ? "" : address.substring(0, colon);
    String port = colon < 0 ? "" : address.substring(colon + 1);
    boolean hostOk =
        !host.isEmpty()
            && host.chars().noneMatch(Character::isWhitespace)
            && (!host.contains(":") || (host.startsWith("[") && host.endsWith("]")));
    int portNumber = -1;
    if (port.matches("[0-9]{1,5}")) {
      portNumber = Integer.parseInt(port);
    }
    if (!hostOk || portNumber < 1 || portNumber > 65535) {
      throw new IllegalArgumentException(
          "expected a host:port address with a port in 1..65535 for " + where + ", but got \""
              + address + "\"");
    }
  }

  /**
   * Whether task {@code task} of {@code job} is the chief by TensorFlow's rule: task 0 of job {@code
   * chief} when the cluster has one (as Kubeflow's TFJob and Estimator lay it out), else task 0 of
   * job {@code worker}.
   */
  public boolean isChief(String job, int task) {
    return task == 0 && job.equals(chiefJob());
  }

  /** The chief's job: {@code chief} if the cluster has that job, else {@code worker}. */
  public String chiefJob() {
    return hasJob("chief") ? "chief" : "worker";
  }

  /** The job names, sorted. */
  public Set<String> jobNames() {
    return jobs.keySet();
  }

  /** Whether the cluster has a job of that name. */
  public boolean hasJob(String job) {
    return jobs.containsKey(job);
  }

  /**
   * How many tasks {@code job} has.
   *
   * @throws IllegalArgumentException if there is no such job
   */
  public int numTasks(String job) {
    return addresses(job).size();
  }

  /** The addresses of {@code job}'s tasks. */
  public List<String> addresses(String job) {
    List<String> addresses = job == null ? null : jobs.get(job);
    if (addresses == null) {
      throw new IllegalArgumentException(
          "no job \"" + job + "\" in the cluster; jobs are " + jobs.keySet());
    }
    return addresses;
  }

  /**
   * The {@code host:port} address of one task.
   *
   * @throws IllegalArgumentException for an unknown job or a task index out of range
   */
  public String address(String job, int task) {
    List<String> addresses = addresses(job);
    if (task < 0 || task >= addresses.size()) {
      throw new IllegalArgumentException(
          "expected a task index of job \"" + job + "\" in 0.." + (addresses.size() - 1)
              + ", but got " + task);
    }
    return addresses.get(task);
  }

  /** The session target of one task: {@code grpc://host:port}. */
  public String target(String job, int task) {
    return "grpc://" + address(job, task);
  }

  /** The cluster as TensorFlow's {@code ClusterDef} proto. */
  public ClusterDef toClusterDef() {
    ClusterDef.Builder cluster = ClusterDef.newBuilder();
    jobs.forEach(
        (name, addresses) -> {
          JobDef.Builder job = JobDef.newBuilder().setName(name);
          for (int i = 0; i < addresses.size(); i++) {
            job.putTasks(i, addresses.get(i));
          }
          cluster.addJob(job);
        });
    return cluster.build();
  }

  /**
   * The {@code ServerDef} for task {@code task} of {@code job} (protocol {@code grpc}), ready for
   * {@code new org.tensorflow.Server(def)}.
   *
   * @throws IllegalArgumentException for an unknown job or task
   */
  public ServerDef toServerDef(String job, int task) {
    address(job, task);
    return ServerDef.newBuilder()
        .setCluster(toClusterDef())
        .setJobName(job)
        .setTaskIndex(task)
        .setProtocol("grpc")
        .build();
  }

  /** The spec as JSON, readable by {@link #fromJson} and by TensorFlow's Python ClusterSpec. */
  public String toJson() {
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, List<String>> e : jobs.entrySet()) {
      sb.append(first ? "" : ", ").append(Json.quote(e.getKey())).append(": [");
      List<String> quoted = new ArrayList<>();
      e.getValue().forEach(a -> quoted.add(Json.quote(a)));
      sb.append(String.join(", ", quoted)).append(']');
      first = false;
    }
    return sb.append('}').toString();
  }

  /** The compact form accepted by {@link #parse}: {@code job=a,b;job=c}. */
  public String toCompactString() {
    List<String> parts = new ArrayList<>();
    jobs.forEach((job, addresses) -> parts.add(job + "=" + String.join(",", addresses)));
    return String.join(";", parts);
  }

  /** Builds a {@link ClusterSpec}; validated at {@link #build()}. */
  public static final class Builder {
    private final Map<String, List<String>> jobs = new LinkedHashMap<>();

    private Builder() {}

    /** Adds {@code job} with its task addresses in task order. */
    public Builder job(String job, String... addresses) {
      return job(job, Arrays.asList(addresses));
    }

    /** Adds {@code job} with its task addresses in task order. */
    public Builder job(String job, List<String> addresses) {
      if (jobs.containsKey(job)) {
        throw new IllegalArgumentException("job \"" + job + "\" was already added");
      }
      jobs.put(job, new ArrayList<>(addresses));
      return this;
    }

    public ClusterSpec build() {
      return new ClusterSpec(jobs);
    }
  }
}

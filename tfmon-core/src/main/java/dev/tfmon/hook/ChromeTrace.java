package dev.tfmon.hook;

import dev.tfmon.json.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.StepStats;

/**
 * Turns a run's {@code StepStats} into the Chrome trace-event JSON that chrome://tracing and
 * Perfetto load: {@code {"traceEvents": [...]}} with one process ({@code pid}) per device, one
 * {@code tid} per executor thread, and one complete event ({@code "ph":"X"}, {@code ts}/{@code
 * dur} in microseconds) per op execution, like TensorFlow's Python {@code timeline.Timeline}.
 *
 * <pre>{@code
 * Files.writeString(path, ChromeTrace.of(runMetadata.getStepStats(), true));
 * }</pre>
 */
public final class ChromeTrace {
  private ChromeTrace() {}

  private record Producer(int pid, long tid, long end) {}

  /**
   * @param showDataflow also emit flow arrows ({@code "ph":"s"}/{@code "t"}) from each input's
   *     producer to its consumer
   */
  public static String of(StepStats stats, boolean showDataflow) {
    List<String> events = new ArrayList<>();
    Map<String, Producer> producers = new HashMap<>();
    int pid = 0;
    for (DeviceStepStats dev : stats.getDevStatsList()) {
      events.add(
          "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" + pid + ",\"args\":{\"name\":"
              + quote(dev.getDevice() + " Compute") + "}}");
      for (Map.Entry<Integer, String> thread : dev.getThreadNamesMap().entrySet()) {
        events.add(
            "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" + pid + ",\"tid\":" + thread.getKey()
                + ",\"args\":{\"name\":" + quote(thread.getValue()) + "}}");
      }
      for (NodeExecStats node : dev.getNodeStatsList()) {
        long start = node.getAllStartMicros();
        long dur = Math.max(0, node.getAllEndRelMicros());
        Label label = Label.parse(node.getTimelineLabel(), node.getNodeName());
        StringBuilder args = new StringBuilder();
        args.append("{\"name\":").append(quote(node.getNodeName())).append(",\"op\":").append(quote(label.op));
        for (int i = 0; i < label.inputs.size(); i++) {
          args.append(",\"input").append(i).append("\":").append(quote(label.inputs.get(i)));
        }
        args.append('}');
        events.add(
            "{\"name\":" + quote(label.op) + ",\"cat\":\"Op\",\"ph\":\"X\",\"pid\":" + pid + ",\"tid\":"
                + node.getThreadId() + ",\"ts\":" + start + ",\"dur\":" + dur + ",\"args\":" + args + "}");
        producers.put(node.getNodeName(), new Producer(pid, node.getThreadId(), start + dur));
      }
      pid++;
    }
    if (showDataflow) {
      long flowId = 0;
      for (int d = 0; d < stats.getDevStatsCount(); d++) {
        for (NodeExecStats node : stats.getDevStats(d).getNodeStatsList()) {
          for (String input : Label.parse(node.getTimelineLabel(), node.getNodeName()).inputs) {
            String producerName = input.startsWith("^") ? input.substring(1) : input;
            int colon = producerName.indexOf(':');
            if (colon >= 0) {
              producerName = producerName.substring(0, colon);
            }
            Producer p = producers.get(producerName);
            if (p == null) {
              continue;
            }
            long id = flowId++;
            events.add(
                "{\"name\":" + quote(input) + ",\"cat\":\"DataFlow\",\"ph\":\"s\",\"id\":" + id + ",\"pid\":"
                    + p.pid() + ",\"tid\":" + p.tid() + ",\"ts\":" + p.end() + "}");
            events.add(
                "{\"name\":" + quote(input) + ",\"cat\":\"DataFlow\",\"ph\":\"t\",\"id\":" + id + ",\"pid\":" + d
                    + ",\"tid\":" + node.getThreadId() + ",\"ts\":" + node.getAllStartMicros() + "}");
          }
        }
      }
    }
    return "{\"traceEvents\":[\n" + String.join(",\n", events) + "\n]}\n";
  }

  /** An op label {@code "name = Op(in1, in2)"}; without one, the op is the node name. */
  private record Label(String op, List<String> inputs) {
    static Label parse(String label, String nodeName) {
      int eq = label.indexOf(" = ");
      int open = label.indexOf('(', Math.max(eq, 0));
      int close = label.lastIndexOf(')');
      if (eq < 0 || open < 0 || close < open) {
        return new Label(nodeName, List.of());
      }
      String op = label.substring(eq + 3, open).trim();
      List<String> inputs = new ArrayList<>();
      for (String s : label.substring(open + 1, close).split(",")) {
        if (!s.isBlank()) {
          inputs.add(s.trim());
        }
      }
      return new Label(op.isEmpty() ? nodeName : op, inputs);
    }
  }

  static String quote(String s) {
    return Json.quote(s);
  }
}

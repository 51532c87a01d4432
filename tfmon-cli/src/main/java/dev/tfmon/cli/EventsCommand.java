package dev.tfmon.cli;

import dev.tfmon.summary.ScalarPoint;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tfmon events DIR}: one line per scalar series of the event files (tag, points, steps,
 * first/last/min/max); {@code --tag} prints a series point by point.
 *
 * <pre>{@code
 * tfmon events runs/default --tag loss
 * }</pre>
 */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description = {
      "Summarize the scalar series of TensorBoard event files, or print one with --tag.",
      "Per tag: points, steps, first/last/min/max. DIR is a directory or one events.out.tfevents.* file;",
      "files written by Python TensorFlow (TF1 simple values and TF2 scalar tensors) work too."
    })
final class EventsCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "Directory of event files, or one event file.")
  Path dir;

  @Option(names = "--tag", paramLabel = "TAG", description = "Print every point of this series.")
  String tag;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Map<String, List<ScalarPoint>> all = ScalarRuns.load(dir);
    PrintWriter out = spec.commandLine().getOut();
    if (tag != null) {
      List<ScalarPoint> series = ScalarRuns.select(all, List.of(tag), dir).get(tag);
      TextTable table = new TextTable("step", "value", "wall_time").rightAligned(0, 1, 2);
      for (ScalarPoint p : series) {
        table.row(p.step(), num(p.value()), String.format("%.3f", p.wallTime()));
      }
      out.printf("%s: %d points%n", tag, series.size());
      out.print(table.render());
    } else if (all.isEmpty()) {
      out.printf("no scalar summaries in %s%n", dir);
    } else {
      TextTable table =
          new TextTable("tag", "points", "steps", "first", "last", "min", "max").rightAligned(1, 3, 4, 5, 6);
      for (Map.Entry<String, List<ScalarPoint>> e : all.entrySet()) {
        List<ScalarPoint> s = e.getValue();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        long minStep = Long.MAX_VALUE;
        long maxStep = Long.MIN_VALUE;
        for (ScalarPoint p : s) {
          min = Math.min(min, p.value());
          max = Math.max(max, p.value());
          minStep = Math.min(minStep, p.step());
          maxStep = Math.max(maxStep, p.step());
        }
        table.row(
            e.getKey(),
            s.size(),
            minStep + ".." + maxStep,
            num(s.get(0).value()),
            num(s.get(s.size() - 1).value()),
            num(min),
            num(max));
      }
      out.print(table.render());
    }
    out.flush();
    return 0;
  }

  /** Six significant digits: enough to follow a curve, short enough for a table. */
  static String num(double v) {
    return String.format("%.6g", v);
  }
}

package dev.tfmon.cli;

import dev.tfmon.summary.RunContents;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.TagKind;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tfmon events DIR...}: every tag of the runs with its kind, and for scalars the points,
 * steps and first/last/min/max; {@code --tag} prints a series point by point; {@code --csv} and
 * {@code --json} write the scalar points (and, in JSON, every tag) for scripts ({@link EventsExport}).
 *
 * <pre>{@code
 * tfmon events runs/default --tag loss
 * tfmon events runs --csv > scalars.csv
 * }</pre>
 */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description = {
      "List the tags of TensorBoard event files: kind, points, steps, and for scalars",
      "first/last/min/max. --tag prints one series; --csv and --json write every",
      "scalar point for scripts. DIR is an event file or a directory of runs, as",
      "TensorBoard's logdir: the directory and every subdirectory holding event files",
      "(a model directory and its eval/) are runs. Python's TF1 and TF2 files work",
      "too. A damaged file is skipped, or read up to the damage, with a warning."
    })
final class EventsCommand implements Callable<Integer> {
  @Parameters(index = "0..*", arity = "1..*", paramLabel = "DIR", description = "Event files or directories of runs.")
  List<Path> dirs;

  @Option(names = "--tag", paramLabel = "TAG", description = "Only this scalar tag (repeatable); without --csv/--json, print its points.")
  List<String> tags;

  @CommandLine.ArgGroup(exclusive = true)
  Format format;

  static final class Format {
    @Option(names = "--csv", required = true,
        description = "Every scalar point as CSV: run,tag,step,wall_time,value (a header line first).")
    boolean csv;

    @Option(names = "--json", required = true,
        description = "Every run with its files, tags (kind, points, steps), restarts and scalar points, as one JSON document.")
    boolean json;
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<EventRuns.Named> runs = EventRuns.load(dirs, spec.commandLine().getErr());
    if (format != null) {
      List<String> selected = tags == null || tags.isEmpty() ? null : EventRuns.scalarTags(runs, tags, "events");
      if (format.csv) {
        EventsExport.csv(runs, selected, out);
      } else {
        EventsExport.json(runs, selected, out);
      }
    } else if (tags != null && !tags.isEmpty()) {
      printSeries(runs, EventRuns.scalarTags(runs, tags, "events --tag"), out);
    } else if (runs.stream().allMatch(r -> r.contents().tags().isEmpty())) {
      out.printf("no summaries in %s%n", runs.size() == 1 ? runs.get(0).name() : runs.size() + " runs");
    } else {
      printTags(runs, out);
    }
    out.flush();
    return 0;
  }

  private static void printTags(List<EventRuns.Named> runs, PrintWriter out) {
    boolean several = runs.size() > 1;
    List<String> header = new ArrayList<>(List.of("tag", "kind", "points", "steps", "first", "last", "min", "max"));
    if (several) {
      header.add(0, "run");
    }
    int shift = several ? 1 : 0;
    TextTable table = new TextTable(header.toArray(String[]::new)).rightAligned(2 + shift, 4 + shift, 5 + shift, 6 + shift, 7 + shift);
    for (EventRuns.Named run : runs) {
      for (RunContents.TagInfo info : run.contents().tags().values()) {
        List<Object> row = new ArrayList<>();
        if (several) {
          row.add(run.name());
        }
        row.add(info.tag());
        row.add(info.kindLabel());
        row.add(info.points());
        row.add(info.firstStep() == info.lastStep() ? Long.toString(info.firstStep()) : info.firstStep() + ".." + info.lastStep());
        if (info.kind() == TagKind.SCALAR) {
          List<ScalarPoint> s = run.contents().scalars().get(info.tag());
          double min = s.stream().mapToDouble(ScalarPoint::value).min().orElseThrow();
          double max = s.stream().mapToDouble(ScalarPoint::value).max().orElseThrow();
          row.addAll(List.of(num(s.get(0).value()), num(s.get(s.size() - 1).value()), num(min), num(max)));
        } else {
          row.addAll(List.of("", "", "", ""));
        }
        table.row(row.toArray());
      }
    }
    out.print(table.render());
  }

  private static void printSeries(List<EventRuns.Named> runs, List<String> tags, PrintWriter out) {
    boolean first = true;
    for (String tag : tags) {
      for (EventRuns.Named run : runs) {
        List<ScalarPoint> series = run.contents().scalars().get(tag);
        if (series == null) {
          continue;
        }
        if (!first) {
          out.println();
        }
        first = false;
        out.printf("%s%s: %d point%s%n", tag, runs.size() > 1 ? " in run " + run.name() : "", series.size(),
            series.size() == 1 ? "" : "s");
        TextTable table = new TextTable("step", "value", "wall_time").rightAligned(0, 1, 2);
        for (ScalarPoint p : series) {
          table.row(p.step(), num(p.value()), String.format(Locale.ROOT, "%.3f", p.wallTime()));
        }
        out.print(table.render());
      }
    }
  }

  /** Six significant digits: enough to follow a curve, short enough for a table. */
  static String num(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }
}

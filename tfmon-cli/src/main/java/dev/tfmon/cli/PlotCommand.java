package dev.tfmon.cli;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jfree.chart.JFreeChart;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tfmon plot DIR... -o FILE.png}: one panel per scalar tag, the runs overlaid in their own
 * colours, smoothed as TensorBoard smooths, drawn headless with JFreeChart ({@link CurveChart}) and
 * written by {@link PngFile}.
 *
 * <pre>{@code
 * tfmon plot runs -o curves.png --tag loss --tag accuracy --smoothing 0.8 --log-y
 * }</pre>
 */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    description = {
      "Draw the scalar series of TensorBoard event files as a PNG: a panel per tag,",
      "a colour per run. DIR is an event file or a directory of runs, as",
      "TensorBoard's logdir (the directory and every subdirectory holding event",
      "files, e.g. a model directory and its eval/); several DIRs are overlaid.",
      "Series are smoothed as TensorBoard smooths them, the raw values faint behind;",
      "a dashed line marks where a run was resumed. The image is WIDTH wide and",
      "PANEL_HEIGHT high per tag, plus the titles."
    })
final class PlotCommand implements Callable<Integer> {
  @Parameters(index = "0..*", arity = "1..*", paramLabel = "DIR", description = "Event files or directories of runs.")
  List<Path> dirs;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "FILE.png",
      description = "The PNG file to write.")
  Path output;

  @Option(names = "--tag", paramLabel = "TAG", description = "Plot only these scalar tags, in this order (repeatable).")
  List<String> tags;

  @Option(names = "--smoothing", defaultValue = "0.6", paramLabel = "W",
      description = "TensorBoard's smoothing weight, 0 (none) to below 1 (default: ${DEFAULT-VALUE}).")
  double smoothing;

  @Option(names = "--log-y", description = "A logarithmic value axis (values <= 0 are left out, with a warning).")
  boolean logY;

  @Option(names = "--x", defaultValue = "step", paramLabel = "AXIS",
      description = "The x axis: step, relative (time since the run's first point) or wall (clock time) "
          + "(default: ${DEFAULT-VALUE}).")
  String x;

  @Option(names = "--width", defaultValue = "900", paramLabel = "PX", description = "Image width (default: ${DEFAULT-VALUE}).")
  int width;

  @Option(
      names = "--panel-height",
      defaultValue = "250",
      paramLabel = "PX",
      description = "Height of each panel (default: ${DEFAULT-VALUE}).")
  int panelHeight;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (width < 100 || width > 10_000) {
      throw CliException.usage("--width must be between 100 and 10000 pixels, but got " + width);
    }
    if (panelHeight < 50 || panelHeight > 5_000) {
      throw CliException.usage("--panel-height must be between 50 and 5000 pixels, but got " + panelHeight);
    }
    if (!(smoothing >= 0 && smoothing < 1)) {
      throw CliException.usage("--smoothing must be at least 0 and below 1, but got " + smoothing);
    }
    CurveChart.XAxis axis = CurveChart.XAxis.parse("--x", x);
    if (!output.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
      throw CliException.usage("-o " + output + ": expected a file name ending in .png");
    }
    PrintWriter err = spec.commandLine().getErr();
    List<EventRuns.Named> runs = EventRuns.load(dirs, err);
    List<String> shown = EventRuns.scalarTags(runs, tags, "plot");
    // A run without any of these tags (say, an eval run when only training tags are asked for)
    // would only add an empty legend entry.
    runs = runs.stream().filter(r -> shown.stream().anyMatch(r.contents().scalars()::containsKey)).toList();
    String title = dirs.size() == 1 ? dirs.get(0).toString() : dirs.stream().map(Path::toString).collect(Collectors.joining(", "));
    JFreeChart chart = CurveChart.draw(runs, shown, new CurveChart.Settings(smoothing, logY, axis), title,
        warning -> err.println("tfmon: warning: " + warning));
    err.flush();
    int height = panelHeight * shown.size() + titlesHeight(runs);
    BufferedImage image = chart.createBufferedImage(width, height);
    PngFile.write(image, output, "-o");
    PrintWriter out = spec.commandLine().getOut();
    out.printf("wrote %s (%dx%d, %d panel%s: %s%s)%n", output, width, height, shown.size(),
        shown.size() == 1 ? "" : "s", String.join(", ", shown),
        runs.size() == 1 ? "" : "; " + runs.size() + " runs: " + runs.stream().map(EventRuns.Named::name).collect(Collectors.joining(", ")));
    out.flush();
    return 0;
  }

  /** Room for the title, the smoothing note and (with several runs or a restart) the legend. */
  private static int titlesHeight(List<EventRuns.Named> runs) {
    boolean legend = runs.size() > 1 || runs.stream().anyMatch(r -> !r.contents().restarts().isEmpty());
    return 60 + (legend ? 24 : 0);
  }
}

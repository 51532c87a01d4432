package dev.tfmon.cli;

import dev.tfmon.summary.ScalarPoint;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tfmon plot DIR -o FILE.png}: one chart panel per scalar tag, stacked over a shared step
 * axis, rendered headless with JFreeChart. The image is {@code --width} wide and {@code
 * --panel-height} high per panel.
 *
 * <pre>{@code
 * tfmon plot runs/default -o curves.png --tag loss --tag accuracy
 * }</pre>
 */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    description = {
      "Draw the scalar series of TensorBoard event files as a PNG, one panel per tag.",
      "The panels share the step axis. The image is WIDTH x (PANEL_HEIGHT x number of tags) pixels."
    })
final class PlotCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "Directory of event files, or one event file.")
  Path dir;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "FILE.png",
      description = "The PNG file to write.")
  Path output;

  @Option(names = "--tag", paramLabel = "TAG", description = "Plot only these tags (repeatable).")
  List<String> tags;

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
  public Integer call() throws IOException {
    if (width < 100 || width > 10_000) {
      throw CliException.usage("--width must be between 100 and 10000 pixels, but got " + width);
    }
    if (panelHeight < 50 || panelHeight > 5_000) {
      throw CliException.usage("--panel-height must be between 50 and 5000 pixels, but got " + panelHeight);
    }
    if (!output.getFileName().toString().toLowerCase().endsWith(".png")) {
      throw CliException.usage("-o " + output + ": expected a file name ending in .png");
    }
    Path parent = output.toAbsolutePath().getParent();
    if (!Files.isDirectory(parent)) {
      throw CliException.usage("-o " + output + ": directory " + parent + " does not exist");
    }
    Map<String, List<ScalarPoint>> series = ScalarRuns.select(ScalarRuns.load(dir), tags, dir);
    if (series.isEmpty()) {
      throw CliException.failure("no scalar summaries in " + dir + ": nothing to plot");
    }
    int height = panelHeight * series.size();
    BufferedImage image = chart(series).createBufferedImage(width, height);
    Path temp = parent.resolve(output.getFileName() + ".tmp");
    // Written aside and moved, so a failed write never leaves a half PNG under the asked name.
    if (!ImageIO.write(image, "png", temp.toFile())) {
      throw CliException.failure("no PNG writer available in this Java runtime");
    }
    Files.move(temp, output, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    spec.commandLine()
        .getOut()
        .printf("wrote %s (%dx%d, %d panel%s: %s)%n", output, width, height, series.size(),
            series.size() == 1 ? "" : "s", String.join(", ", series.keySet()));
    spec.commandLine().getOut().flush();
    return 0;
  }

  private JFreeChart chart(Map<String, List<ScalarPoint>> series) {
    NumberAxis steps = new NumberAxis("step");
    steps.setAutoRangeIncludesZero(false);
    CombinedDomainXYPlot combined = new CombinedDomainXYPlot(steps);
    combined.setGap(12);
    for (Map.Entry<String, List<ScalarPoint>> e : series.entrySet()) {
      XYSeries s = new XYSeries(e.getKey(), false, true);
      e.getValue().forEach(p -> s.add(p.step(), p.value()));
      NumberAxis values = new NumberAxis(e.getKey());
      values.setAutoRangeIncludesZero(false);
      XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, e.getValue().size() == 1);
      renderer.setSeriesPaint(0, new Color(0x1f77b4));
      renderer.setSeriesStroke(0, new BasicStroke(1.5f));
      XYPlot plot = new XYPlot(new XYSeriesCollection(s), null, values, renderer);
      plot.setBackgroundPaint(Color.WHITE);
      plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
      plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
      combined.add(plot, 1);
    }
    JFreeChart chart = new JFreeChart(dir.toString(), JFreeChart.DEFAULT_TITLE_FONT, combined, false);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }
}

package dev.tfmon.cli;

import static dev.tfmon.cli.EventFiles.scalar;
import static dev.tfmon.cli.EventFiles.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.DateAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.Marker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.Layer;
import org.jfree.data.xy.XYSeriesCollection;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 17: what {@code tfmon plot} draws (series, colours, smoothing, axes, restart markers). */
class CurveChartTest {
  @TempDir Path tmp;
  private List<EventRuns.Named> runs;
  private final List<String> warnings = new ArrayList<>();

  /** Run a: loss at steps 0..4; run b: loss at 0..2, killed, resumed at step 2 (START) to step 4; acc at 4. */
  @BeforeEach
  void twoRuns() {
    EventFiles.write(tmp.resolve("a"), 100, start(0), scalar("loss", 0, 1.0), scalar("loss", 1, 0.0), scalar("loss", 2, 1.0),
        scalar("loss", 3, 0.0), scalar("loss", 4, 0.5), scalar("acc", 4, 0.9));
    EventFiles.write(tmp.resolve("b"), 100, start(0), scalar("loss", 0, 2.0), scalar("loss", 1, 1.0), scalar("loss", 2, 9.0));
    EventFiles.write(tmp.resolve("b"), 200, start(2), scalar("loss", 2, 0.5), scalar("loss", 3, 0.25), scalar("loss", 4, 0.125),
        scalar("acc", 4, 0.8));
    runs = EventRuns.load(List.of(tmp.resolve("a"), tmp.resolve("b")), new PrintWriter(new StringWriter()));
  }

  private JFreeChart draw(List<String> tags, double smoothing, boolean logY, CurveChart.XAxis x) {
    return CurveChart.draw(runs, tags, new CurveChart.Settings(smoothing, logY, x), "t", warnings::add);
  }

  @SuppressWarnings("unchecked")
  private static List<XYPlot> panels(JFreeChart chart) {
    return (List<XYPlot>) ((CombinedDomainXYPlot) chart.getPlot()).getSubplots();
  }

  private static List<String> keys(XYSeriesCollection data) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < data.getSeriesCount(); i++) {
      keys.add(data.getSeriesKey(i).toString());
    }
    return keys;
  }

  @SuppressWarnings("unchecked")
  private static List<Marker> markers(XYPlot plot) {
    var markers = plot.getDomainMarkers(Layer.FOREGROUND);
    return markers == null ? List.of() : new ArrayList<>((java.util.Collection<Marker>) markers);
  }

  private static double[] ys(XYSeriesCollection data, int series) {
    double[] y = new double[data.getItemCount(series)];
    for (int i = 0; i < y.length; i++) {
      y[i] = data.getYValue(series, i);
    }
    return y;
  }

  @Test
  void eachRunIsAColourWithItsRawSeriesFaintBehindTheSmoothedOne() {
    JFreeChart chart = draw(List.of("loss", "acc"), 0.6, false, CurveChart.XAxis.STEP);
    assertThat(panels(chart)).hasSize(2);
    XYPlot loss = panels(chart).get(0);
    XYSeriesCollection data = (XYSeriesCollection) loss.getDataset();
    assertThat(keys(data)).containsExactly("a (raw)", "a", "b (raw)", "b");
    assertThat(ys(data, 0)).containsExactly(1.0, 0.0, 1.0, 0.0, 0.5);
    assertThat(ys(data, 1)).containsExactly(Smoothing.exponential(new double[] {1, 0, 1, 0, 0.5}, 0.6));
    // Run b's killed attempt wrote step 2 = 9.0; the resumed attempt's 0.5 replaces it (TensorBoard's purge).
    assertThat(ys(data, 2)).containsExactly(2.0, 1.0, 0.5, 0.25, 0.125);
    Color rawA = (Color) loss.getRenderer().getSeriesPaint(0);
    Color smoothA = (Color) loss.getRenderer().getSeriesPaint(1);
    Color smoothB = (Color) loss.getRenderer().getSeriesPaint(3);
    assertThat(smoothA).isEqualTo(CurveChart.colour(0));
    assertThat(smoothB).isEqualTo(CurveChart.colour(1)).isNotEqualTo(smoothA);
    assertThat(rawA.getRGB() & 0xffffff).isEqualTo(smoothA.getRGB() & 0xffffff);
    assertThat(rawA.getAlpha()).isLessThan(128);
    XYSeriesCollection acc = (XYSeriesCollection) panels(chart).get(1).getDataset();
    assertThat(keys(acc)).containsExactly("a (raw)", "a", "b (raw)", "b");
    assertThat(((org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) panels(chart).get(1).getRenderer())
        .getSeriesShapesVisible(1)).as("one point: a dot").isTrue();
    assertThat(((org.jfree.chart.title.TextTitle) chart.getSubtitle(0)).getText())
        .isEqualTo("smoothing 0.6 (TensorBoard's), raw values faint");
    var legend = chart.getPlot().getLegendItems();
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < legend.getItemCount(); i++) {
      labels.add(legend.get(i).getLabel());
    }
    assertThat(labels).containsExactly("a", "b", "resumed");
  }

  @Test
  void aResumedRunGetsADashedMarkerInEveryPanelLabelledInTheFirst() {
    JFreeChart chart = draw(List.of("loss", "acc"), 0.6, false, CurveChart.XAxis.STEP);
    for (int p = 0; p < 2; p++) {
      List<Marker> markers = markers(panels(chart).get(p));
      assertThat(markers).as("panel %d", p).hasSize(1);
      ValueMarker marker = (ValueMarker) markers.get(0);
      assertThat(marker.getValue()).isEqualTo(2.0);
      assertThat(marker.getLabel()).isEqualTo(p == 0 ? "resumed" : null);
    }
  }

  @Test
  void withoutSmoothingOnlyTheValuesAreDrawn() {
    JFreeChart chart = draw(List.of("loss"), 0, false, CurveChart.XAxis.STEP);
    XYSeriesCollection data = (XYSeriesCollection) panels(chart).get(0).getDataset();
    assertThat(keys(data)).containsExactly("a", "b");
    assertThat(ys(data, 0)).containsExactly(1.0, 0.0, 1.0, 0.0, 0.5);
  }

  @Test
  void aLogAxisLeavesOutValuesAtOrBelowZeroAndSaysSo() {
    JFreeChart chart = draw(List.of("loss"), 0, true, CurveChart.XAxis.STEP);
    XYPlot loss = panels(chart).get(0);
    assertThat(loss.getRangeAxis()).isInstanceOf(LogAxis.class);
    assertThat(ys((XYSeriesCollection) loss.getDataset(), 0)).containsExactly(1.0, 1.0, 0.5);
    assertThat(warnings).containsExactly("--log-y: 2 values of 'loss' are 0 or negative and are not drawn");
  }

  @Test
  void relativeAndWallTimeAxes() {
    // Wall times are 1000 + step seconds; run b's restart START is at 1002.
    XYPlot relative = panels(draw(List.of("loss"), 0, false, CurveChart.XAxis.RELATIVE)).get(0);
    XYSeriesCollection data = (XYSeriesCollection) relative.getDataset();
    assertThat(data.getXValue(0, 0)).isEqualTo(0.0);
    assertThat(data.getXValue(0, 4)).isEqualTo(4.0);
    JFreeChart wall = draw(List.of("loss"), 0, false, CurveChart.XAxis.WALL);
    assertThat(((CombinedDomainXYPlot) wall.getPlot()).getDomainAxis()).isInstanceOf(DateAxis.class);
    XYPlot plot = panels(wall).get(0);
    assertThat(((XYSeriesCollection) plot.getDataset()).getXValue(1, 0)).isEqualTo(1_000_000.0);
    Marker marker = markers(plot).get(0);
    assertThat(((ValueMarker) marker).getValue()).isEqualTo(1_002_000.0);
  }
}

package dev.tfmon.cli;

import dev.tfmon.summary.RunContents;
import dev.tfmon.summary.ScalarPoint;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Line2D;
import java.math.BigDecimal;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.DateAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The chart of {@code tfmon plot}: one panel per scalar tag over a shared x axis (step, time since
 * the run's first point, or wall time), one colour per run, each series smoothed as TensorBoard
 * smooths ({@link Smoothing}) with the raw values faint behind, and a dashed line where a run was
 * resumed.
 *
 * <pre>{@code
 * JFreeChart chart = CurveChart.draw(runs, List.of("loss"), new CurveChart.Settings(0.6, false, XAxis.STEP), "runs", warnings::add);
 * }</pre>
 */
final class CurveChart {
  /** What the x axis shows. */
  enum XAxis {
    STEP,
    RELATIVE,
    WALL;

    /** Parses {@code step}, {@code relative} or {@code wall}. */
    static XAxis parse(String option, String text) {
      for (XAxis x : values()) {
        if (x.name().equalsIgnoreCase(text)) {
          return x;
        }
      }
      throw CliException.usage(option + " '" + text + "': expected step, relative or wall");
    }
  }

  /** How to draw: smoothing weight in [0, 1), a log y axis, and the x axis. */
  record Settings(double smoothing, boolean logY, XAxis x) {}

  /** Tableau's ten colours (matplotlib's default cycle): distinct, and readable on white. */
  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
    new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)
  };
  private static final int RAW_ALPHA = 80;
  private static final BasicStroke RAW = new BasicStroke(1.2f);
  private static final BasicStroke SMOOTH = new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
  private static final BasicStroke RESUMED =
      new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
  private static final Color GRID = new Color(0xdddddd);

  private CurveChart() {}

  /** The colour of the {@code index}-th run. */
  static Color colour(int index) {
    return PALETTE[index % PALETTE.length];
  }

  /**
   * Draws {@code tags} of {@code runs}.
   *
   * @param warn told one line for each thing that cannot be drawn (values a log axis cannot show)
   */
  static JFreeChart draw(
      List<EventRuns.Named> runs, List<String> tags, Settings settings, String title, Consumer<String> warn) {
    TimeScale time = TimeScale.of(runs);
    CombinedDomainXYPlot combined = new CombinedDomainXYPlot(domainAxis(settings.x(), time));
    combined.setGap(14);
    Set<String> labelled = new HashSet<>();
    for (String tag : tags) {
      combined.add(panel(runs, tag, settings, time, labelled, warn), 1);
    }
    JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 16), combined, false);
    chart.setBackgroundPaint(Color.WHITE);
    chart.setPadding(new RectangleInsets(4, 8, 8, 12));
    chart.addSubtitle(note(settings));
    if (runs.size() > 1 || runs.stream().anyMatch(r -> !r.contents().restarts().isEmpty())) {
      chart.addSubtitle(legend(runs, combined));
    }
    return chart;
  }

  private static ValueAxis domainAxis(XAxis x, TimeScale time) {
    ValueAxis domain = switch (x) {
      case STEP -> {
        NumberAxis steps = new NumberAxis("step");
        steps.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        steps.setAutoRangeIncludesZero(false);
        yield steps;
      }
      case RELATIVE -> {
        NumberAxis relative = new NumberAxis("time since the run's first point (" + time.unitName + ")");
        relative.setAutoRangeIncludesZero(true);
        yield relative;
      }
      case WALL -> new DateAxis("wall time");
    };
    domain.setLabelFont(domain.getLabelFont().deriveFont(13f));
    return domain;
  }

  /**
   * The panel of one tag: each run's line (and its raw values, faint, when smoothed) and its
   * restarts; {@code labelled} holds the runs whose restart marker already has a label.
   */
  private static XYPlot panel(
      List<EventRuns.Named> runs, String tag, Settings settings, TimeScale time, Set<String> labelled,
      Consumer<String> warn) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    XYPlot plot = new XYPlot(data, null, rangeAxis(tag, settings.logY(), decades(runs, tag)), renderer);
    int dropped = 0;
    for (int r = 0; r < runs.size(); r++) {
      EventRuns.Named run = runs.get(r);
      List<ScalarPoint> points = run.contents().scalars().get(tag);
      if (points == null) {
        continue;
      }
      double[] raw = points.stream().mapToDouble(ScalarPoint::value).toArray();
      double[] smooth = Smoothing.exponential(raw, settings.smoothing());
      if (settings.smoothing() > 0) {
        XYSeries faint = new XYSeries(run.name() + " (raw)", false, true);
        dropped += fill(faint, points, raw, settings, time, run);
        add(data, renderer, faint, withAlpha(colour(r), RAW_ALPHA), RAW, points.size() == 1);
      }
      XYSeries line = new XYSeries(run.name(), false, true);
      int droppedHere = fill(line, points, smooth, settings, time, run);
      if (settings.smoothing() == 0) {
        dropped += droppedHere;
      }
      add(data, renderer, line, colour(r), SMOOTH, points.size() == 1);
      // The label once per run, in its first panel; the dashed line in all of them.
      boolean label = labelled.add(run.name());
      for (RunContents.Restart restart : run.contents().restarts()) {
        plot.addDomainMarker(marker(x(restart.step(), restart.wallTime(), settings.x(), time, run), colour(r), label));
      }
    }
    if (dropped > 0) {
      warn.accept("--log-y: " + (dropped == 1 ? "1 value of '" + tag + "' is 0 or negative and is not drawn"
          : dropped + " values of '" + tag + "' are 0 or negative and are not drawn"));
    }
    plot.setBackgroundPaint(Color.WHITE);
    plot.setOutlinePaint(GRID);
    plot.setRangeGridlinePaint(GRID);
    plot.setDomainGridlinePaint(GRID);
    plot.setRangeGridlineStroke(new BasicStroke(0.8f));
    plot.setDomainGridlineStroke(new BasicStroke(0.8f));
    plot.setAxisOffset(new RectangleInsets(2, 2, 2, 2));
    return plot;
  }

  /** The line under the title: how the values were smoothed, and the scale. */
  private static TextTitle note(Settings settings) {
    String note = settings.smoothing() > 0
        ? String.format(Locale.ROOT, "smoothing %s (TensorBoard's), raw values faint", trim(settings.smoothing()))
        : "not smoothed";
    if (settings.logY()) {
      note += "; log scale";
    }
    TextTitle subtitle = new TextTitle(note, new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    subtitle.setPaint(Color.DARK_GRAY);
    return subtitle;
  }

  private static ValueAxis rangeAxis(String tag, boolean logY, double decades) {
    ValueAxis axis;
    if (logY) {
      LogAxis log = new LogAxis(tag);
      // Labelled with the value (0.01, 1e-05), not with its exponent; a tick per decade when the
      // values span several, otherwise JFreeChart's finer choice.
      log.setNumberFormatOverride(new DecadeFormat());
      if (decades >= 1.5) {
        log.setAutoTickUnitSelection(false);
        log.setTickUnit(new NumberTickUnit(1));
        log.setMinorTickCount(9);
        log.setMinorTickMarksVisible(true);
      }
      log.setSmallestValue(1e-300);
      axis = log;
    } else {
      NumberAxis numbers = new NumberAxis(tag);
      numbers.setAutoRangeIncludesZero(false);
      axis = numbers;
    }
    axis.setLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    return axis;
  }

  /** How many powers of ten the positive values of {@code tag} span. */
  private static double decades(List<EventRuns.Named> runs, String tag) {
    double min = Double.POSITIVE_INFINITY;
    double max = 0;
    for (EventRuns.Named run : runs) {
      for (ScalarPoint p : run.contents().scalars().getOrDefault(tag, List.of())) {
        if (p.value() > 0 && Double.isFinite(p.value())) {
          min = Math.min(min, p.value());
          max = Math.max(max, p.value());
        }
      }
    }
    return max > 0 ? Math.log10(max / min) : 0;
  }

  /** Adds the points (x per the axis, y from {@code ys}); returns how many a log axis cannot show. */
  private static int fill(XYSeries series, List<ScalarPoint> points, double[] ys, Settings settings, TimeScale time,
      EventRuns.Named run) {
    int dropped = 0;
    for (int i = 0; i < ys.length; i++) {
      ScalarPoint p = points.get(i);
      if (settings.logY() && !(ys[i] > 0)) {
        dropped++;
        continue;
      }
      series.add(x(p.step(), p.wallTime(), settings.x(), time, run), ys[i], false);
    }
    return dropped;
  }

  private static double x(long step, double wallTime, XAxis axis, TimeScale time, EventRuns.Named run) {
    return switch (axis) {
      case STEP -> step;
      case RELATIVE -> (wallTime - time.start(run)) / time.unitSeconds;
      case WALL -> wallTime * 1000;
    };
  }

  private static void add(XYSeriesCollection data, XYLineAndShapeRenderer renderer, XYSeries series, Color paint,
      BasicStroke stroke, boolean dot) {
    int index = data.getSeriesCount();
    data.addSeries(series);
    renderer.setSeriesPaint(index, paint);
    renderer.setSeriesStroke(index, stroke);
    // A series of one point has no line to draw: show it as a dot.
    renderer.setSeriesShapesVisible(index, dot);
  }

  private static ValueMarker marker(double x, Color colour, boolean labelled) {
    ValueMarker marker = new ValueMarker(x, colour.darker(), RESUMED);
    if (labelled) {
      marker.setLabel("resumed");
      marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      marker.setLabelPaint(colour.darker());
      marker.setLabelBackgroundColor(new Color(255, 255, 255, 0));
      marker.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
      marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
      marker.setLabelOffset(new RectangleInsets(2, 3, 2, 3));
    }
    return marker;
  }

  private static LegendTitle legend(List<EventRuns.Named> runs, CombinedDomainXYPlot plot) {
    LegendItemCollection items = new LegendItemCollection();
    for (int r = 0; r < runs.size(); r++) {
      LegendItem item = new LegendItem(runs.get(r).name(), colour(r));
      item.setLineVisible(true);
      item.setShapeVisible(false);
      item.setLine(new Line2D.Double(-9, 0, 9, 0));
      item.setLinePaint(colour(r));
      item.setLineStroke(SMOOTH);
      items.add(item);
    }
    if (runs.stream().anyMatch(r -> !r.contents().restarts().isEmpty())) {
      LegendItem resumed = new LegendItem("resumed", Color.DARK_GRAY);
      resumed.setLineVisible(true);
      resumed.setShapeVisible(false);
      resumed.setLine(new Line2D.Double(-9, 0, 9, 0));
      resumed.setLinePaint(Color.DARK_GRAY);
      resumed.setLineStroke(RESUMED);
      items.add(resumed);
    }
    plot.setFixedLegendItems(items);
    LegendTitle legend = new LegendTitle(plot);
    legend.setPosition(RectangleEdge.TOP);
    legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    legend.setFrame(BlockBorder.NONE);
    legend.setBackgroundPaint(Color.WHITE);
    return legend;
  }

  private static Color withAlpha(Color c, int alpha) {
    return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
  }

  private static String trim(double d) {
    String s = String.format(Locale.ROOT, "%.3f", d);
    return s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  /** Decades as numbers: 1000, 1, 0.01 in plain notation, 1e+06 and 1e-05 beyond. */
  private static final class DecadeFormat extends NumberFormat {
    @Override
    public StringBuffer format(double number, StringBuffer to, FieldPosition pos) {
      double magnitude = Math.abs(number);
      if (magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e5)) {
        return to.append(new BigDecimal(String.format(Locale.ROOT, "%.3g", number)).stripTrailingZeros().toPlainString());
      }
      return to.append(String.format(Locale.ROOT, "%.0e", number));
    }

    @Override
    public StringBuffer format(long number, StringBuffer to, FieldPosition pos) {
      return format((double) number, to, pos);
    }

    @Override
    public Number parse(String source, ParsePosition pos) {
      throw new UnsupportedOperationException("axis labels are only formatted");
    }
  }

  /** Each run's first wall time, and the unit (s, min, h) that keeps relative times readable. */
  private record TimeScale(Map<String, Double> starts, double unitSeconds, String unitName) {
    static TimeScale of(List<EventRuns.Named> runs) {
      Map<String, Double> starts = new HashMap<>();
      double longest = 0;
      for (EventRuns.Named run : runs) {
        double first = Double.POSITIVE_INFINITY;
        double last = Double.NEGATIVE_INFINITY;
        for (List<ScalarPoint> points : run.contents().scalars().values()) {
          for (ScalarPoint p : points) {
            first = Math.min(first, p.wallTime());
            last = Math.max(last, p.wallTime());
          }
        }
        starts.put(run.name(), Double.isFinite(first) ? first : 0);
        if (Double.isFinite(first)) {
          longest = Math.max(longest, last - first);
        }
      }
      if (longest <= 180) {
        return new TimeScale(starts, 1, "s");
      }
      return longest <= 180 * 60 ? new TimeScale(starts, 60, "min") : new TimeScale(starts, 3600, "h");
    }

    double start(EventRuns.Named run) {
      return starts.get(run.name());
    }
  }
}

package dev.tfmon.eval;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A metric to optimize and which way: what best-checkpoint retention ranks by and what early
 * stopping watches ({@code monitor} and {@code mode} in Keras).
 *
 * <pre>{@code
 * MetricGoal loss = MetricGoal.min("loss");
 * MetricGoal acc = MetricGoal.parse("accuracy");        // max: guessed from the name, as Keras's "auto"
 * boolean better = loss.improves(0.31, 0.35, 0.01);     // 0.31 < 0.35 - 0.01
 * }</pre>
 *
 * @param metric the metric's name in the evaluation (or a training tensor's label)
 * @param direction whether smaller or larger values are better
 */
public record MetricGoal(String metric, Direction direction) {
  private static final Set<String> LARGER_IS_BETTER =
      Set.of("accuracy", "acc", "auc", "pr_auc", "precision", "recall", "f1", "map", "iou", "mean_iou");

  /** Which values are better. */
  public enum Direction {
    MIN,
    MAX
  }

  public MetricGoal {
    if (metric == null || metric.isBlank()) {
      throw new IllegalArgumentException("expected a metric name, but got '" + metric + "'");
    }
    Objects.requireNonNull(direction, "direction");
  }

  /** Smaller is better. */
  public static MetricGoal min(String metric) {
    return new MetricGoal(metric, Direction.MIN);
  }

  /** Larger is better. */
  public static MetricGoal max(String metric) {
    return new MetricGoal(metric, Direction.MAX);
  }

  /**
   * {@code NAME}, {@code NAME:min} or {@code NAME:max}. Without a direction, accuracy-like names
   * ({@code accuracy}, {@code auc}, {@code precision}, {@code recall}, ...) are maximized and every
   * other metric (a loss, an error) minimized.
   *
   * @throws IllegalArgumentException naming the value, if the direction is not min or max
   */
  public static MetricGoal parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("expected NAME[:min|max], but got '" + spec + "'");
    }
    int colon = spec.lastIndexOf(':');
    if (colon < 0) {
      return new MetricGoal(spec, guess(spec));
    }
    String name = spec.substring(0, colon);
    String dir = spec.substring(colon + 1).toLowerCase(Locale.ROOT);
    return switch (dir) {
      case "min" -> min(name);
      case "max" -> max(name);
      default -> throw new IllegalArgumentException(
          "expected NAME[:min|max], but got '" + spec + "' (the direction must be min or max)");
    };
  }

  private static Direction guess(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    int slash = n.lastIndexOf('/');
    return LARGER_IS_BETTER.contains(slash >= 0 ? n.substring(slash + 1) : n) ? Direction.MAX : Direction.MIN;
  }

  /**
   * Whether {@code candidate} beats {@code best} by more than {@code minDelta} (Keras's rule: for
   * MIN, {@code candidate < best - minDelta}). NaN never improves; anything improves on no best.
   */
  public boolean improves(double candidate, Double best, double minDelta) {
    if (Double.isNaN(candidate)) {
      return false;
    }
    if (best == null || Double.isNaN(best)) {
      return true;
    }
    double delta = Math.abs(minDelta);
    return direction == Direction.MIN ? candidate < best - delta : candidate > best + delta;
  }

  /** Orders values best first (NaN last). */
  public int compare(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Boolean.compare(Double.isNaN(a), Double.isNaN(b));
    }
    return direction == Direction.MIN ? Double.compare(a, b) : Double.compare(b, a);
  }

  @Override
  public String toString() {
    return metric + ":" + direction.name().toLowerCase(Locale.ROOT);
  }
}

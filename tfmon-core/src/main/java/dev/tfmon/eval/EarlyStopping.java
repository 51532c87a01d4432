package dev.tfmon.eval;

import java.util.Objects;
import java.util.Optional;

/**
 * The early-stopping rule alone, as Keras's {@code EarlyStopping} applies it: each observation
 * either improves on the best by more than {@code minDelta} (and resets the count) or adds one to
 * the observations without improvement; the rule fires once that count reaches {@code patience}
 * and the step is at least {@code minStep}. It is a pure function of the observations, so replaying
 * them after a restart gives the same state.
 *
 * <pre>{@code
 * EarlyStopping rule = new EarlyStopping(MetricGoal.min("loss"), 3, 0.0, 0);
 * rule.observe(100, 0.50); rule.observe(200, 0.40); rule.observe(300, 0.41);   // false each time
 * }</pre>
 */
public final class EarlyStopping {
  private final MetricGoal goal;
  private final int patience;
  private final double minDelta;
  private final long minStep;
  private Double best;
  private long bestStep = -1;
  private int sinceBest;
  private long lastStep = -1;
  private Decision decision;

  /**
   * What made the rule fire.
   *
   * @param goal the metric watched
   * @param bestValue the best value seen
   * @param bestStep the step it was seen at
   * @param stepsObserved observations without improvement since
   * @param step the step of the observation that fired the rule
   */
  public record Decision(MetricGoal goal, double bestValue, long bestStep, int stepsObserved, long step) {
    @Override
    public String toString() {
      return goal.metric() + " has not improved for " + stepsObserved + " evaluation" + (stepsObserved == 1 ? "" : "s")
          + " (best " + bestValue + " at step " + bestStep + "); stopping at step " + step;
    }
  }

  /**
   * @throws IllegalArgumentException if {@code patience} is below 1 or {@code minDelta} is negative
   *     or not a number
   */
  public EarlyStopping(MetricGoal goal, int patience, double minDelta, long minStep) {
    this.goal = Objects.requireNonNull(goal, "goal");
    if (patience < 1) {
      throw new IllegalArgumentException("expected patience >= 1 evaluations, but got " + patience);
    }
    if (!(minDelta >= 0)) {
      throw new IllegalArgumentException("expected minDelta >= 0, but got " + minDelta);
    }
    this.patience = patience;
    this.minDelta = minDelta;
    this.minStep = minStep;
  }

  /**
   * Takes the value observed at {@code step}; observations at or before the last one are ignored
   * (a step seen twice counts once).
   *
   * @return true if the rule has fired (now or before)
   */
  public boolean observe(long step, double value) {
    if (step <= lastStep) {
      return decision != null;
    }
    lastStep = step;
    if (goal.improves(value, best, minDelta)) {
      best = value;
      bestStep = step;
      sinceBest = 0;
    } else {
      sinceBest++;
    }
    if (decision == null && sinceBest >= patience && step >= minStep) {
      decision = new Decision(goal, best == null ? Double.NaN : best, bestStep, sinceBest, step);
    }
    return decision != null;
  }

  /** Forgets every observation. */
  public void reset() {
    best = null;
    bestStep = -1;
    sinceBest = 0;
    lastStep = -1;
    decision = null;
  }

  /** The decision, once the rule fired. */
  public Optional<Decision> decision() {
    return Optional.ofNullable(decision);
  }

  /** The best value so far, if any. */
  public Optional<Double> best() {
    return Optional.ofNullable(best);
  }

  /** The step of the best value, or -1. */
  public long bestStep() {
    return bestStep;
  }

  /** The step of the last observation taken, or -1. */
  public long lastStep() {
    return lastStep;
  }

  public MetricGoal goal() {
    return goal;
  }
}

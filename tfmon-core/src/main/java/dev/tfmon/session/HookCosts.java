package dev.tfmon.session;

import dev.tfmon.hook.SessionRunHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Time spent in each hook's {@code beforeRun} and {@code afterRun}, against the time of the whole
 * hooked runs. Measured with {@link System#nanoTime()} on every run (two clock reads per hook and
 * step, cheap enough to leave on).
 *
 * <pre>{@code
 * HookCosts.Report report = session.hookCosts();
 * report.hooks().forEach(h -> System.out.println(h.name() + " " + h.share()));
 * }</pre>
 */
public final class HookCosts {
  private final List<SessionRunHook> hooks;
  private final LongAdder[] beforeNanos;
  private final LongAdder[] afterNanos;
  private final LongAdder runs = new LongAdder();
  private final LongAdder stepNanos = new LongAdder();

  HookCosts(List<SessionRunHook> hooks) {
    this.hooks = List.copyOf(hooks);
    this.beforeNanos = new LongAdder[hooks.size()];
    this.afterNanos = new LongAdder[hooks.size()];
    for (int i = 0; i < hooks.size(); i++) {
      beforeNanos[i] = new LongAdder();
      afterNanos[i] = new LongAdder();
    }
  }

  void addBefore(int hook, long nanos) {
    beforeNanos[hook].add(nanos);
  }

  void addAfter(int hook, long nanos) {
    afterNanos[hook].add(nanos);
  }

  void addStep(long nanos) {
    runs.increment();
    stepNanos.add(nanos);
  }

  /** A snapshot of the figures so far. */
  public Report report() {
    long total = stepNanos.sum();
    List<HookCost> out = new ArrayList<>(hooks.size());
    for (int i = 0; i < hooks.size(); i++) {
      long b = beforeNanos[i].sum();
      long a = afterNanos[i].sum();
      out.add(
          new HookCost(
              nameOf(hooks.get(i)),
              Duration.ofNanos(b),
              Duration.ofNanos(a),
              total == 0 ? 0.0 : (double) (a + b) / total));
    }
    return new Report(runs.sum(), Duration.ofNanos(total), List.copyOf(out));
  }

  /** The hook's {@link SessionRunHook#name()}, or its class name if it gives none. */
  static String nameOf(SessionRunHook hook) {
    String name = hook.name();
    return name == null || name.isBlank() ? hook.getClass().getName() : name;
  }

  /**
   * One hook's figures.
   *
   * @param name the hook's {@link SessionRunHook#name() name}
   * @param beforeRun total time in {@code beforeRun}
   * @param afterRun total time in {@code afterRun}
   * @param share (beforeRun + afterRun) / total time of the hooked runs, from 0 to 1
   */
  public record HookCost(String name, Duration beforeRun, Duration afterRun, double share) {}

  /**
   * Every hook's figures.
   *
   * @param runs the number of hooked runs measured
   * @param total the total time of those runs, hooks included
   * @param hooks one entry per hook, in hook order
   */
  public record Report(long runs, Duration total, List<HookCost> hooks) {
    /** The hooks whose share of step time is above {@code threshold} (0 to 1). */
    public List<HookCost> above(double threshold) {
      return hooks.stream().filter(h -> h.share() > threshold).toList();
    }
  }
}

package dev.tfmon.cli;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Training progress: on a terminal, one line redrawn in place at most ten times a second (a bar,
 * step, loss, steps/s, ETA), fitted to the terminal's width; otherwise a plain line every {@code
 * logSteps} steps, which logs and tests can read. The final state is printed by {@link #finish()}.
 * Losses have seven significant digits in plain decimal ({@link #loss}), never exponent notation
 * next to plain numbers.
 *
 * <pre>{@code
 * Progress p = new Progress(out, Terminal.detect(), 0, 2000, 100, System::nanoTime);
 * if (p.isDue(step)) { p.update(step, loss); } else { p.note(step, loss); }
 * p.finish();
 * }</pre>
 */
final class Progress {
  private static final long REDRAW_NANOS = 100_000_000L;
  private final PrintWriter out;
  private final boolean terminal;
  private final Terminal screen;
  private final long lastStep;
  private final int logSteps;
  private final LongSupplier nanos;
  private final long startStep;
  private long lastDrawNanos;
  private long lastPrintedStep = -1;
  /** {@code step / logSteps} of the last plain line: a line is due when a step crosses into a new multiple. */
  private long printedBucket;
  private long step;
  private double loss;
  private long firstNanos = -1;
  private long firstStep;
  /** The last evaluation, shown after the loss: {@code "  eval@1000 accuracy 0.9917 loss 0.02718"}. */
  private String evaluation = "";

  /**
   * @param lastStep the step training stops at, or -1 if unknown (no bar and no ETA)
   */
  Progress(PrintWriter out, Terminal screen, long startStep, long lastStep, int logSteps, LongSupplier nanos) {
    this.out = out;
    this.screen = screen;
    this.terminal = screen.interactive();
    this.startStep = startStep;
    this.step = startStep;
    this.lastStep = lastStep;
    this.logSteps = logSteps;
    this.printedBucket = startStep / logSteps;
    this.nanos = nanos;
  }

  /** True when a line should be shown for {@code step} (the caller then reads it exactly). */
  boolean isDue(long step) {
    if (firstNanos < 0) {
      return true;
    }
    if (terminal) {
      return nanos.getAsLong() - lastDrawNanos >= REDRAW_NANOS || step == lastStep;
    }
    return crossesMultiple(step);
  }

  /**
   * Whether {@code step} is past a multiple of {@code logSteps} not printed yet, or the last step.
   * Not {@code step % logSteps == 0}: on a cluster the other workers advance the shared global
   * step too, so one worker sees only some of the steps.
   */
  private boolean crossesMultiple(long step) {
    return step / logSteps > printedBucket || (lastStep >= 0 && step >= lastStep);
  }

  /** Records the state without printing. */
  void note(long step, double loss) {
    start(step);
    this.step = step;
    this.loss = loss;
  }

  /** Records the state and prints it if it is due. */
  void update(long step, double loss) {
    note(step, loss);
    long now = nanos.getAsLong();
    if (terminal) {
      out.print("\r" + fitted(now) + "\u001b[K");
      out.flush();
      lastDrawNanos = now;
      lastPrintedStep = step;
    } else if (crossesMultiple(step)) {
      out.println(line(now, false));
      printedBucket = step / logSteps;
      out.flush();
      lastPrintedStep = step;
    }
  }

  private void start(long step) {
    if (firstNanos < 0) {
      // Rates count from the first finished step, not from session creation (graph setup, restore).
      firstNanos = nanos.getAsLong();
      firstStep = step;
    }
  }

  /** Shows the metrics of the evaluation at {@code step} on every line from now on. */
  void evaluated(long step, java.util.Map<String, Double> scalars) {
    StringBuilder b = new StringBuilder("  eval@").append(step);
    scalars.forEach((name, v) -> b.append(' ').append(name).append(' ').append(metric(v)));
    evaluation = b.toString();
  }

  /** Ends the display with the final state on its own line. */
  void finish() {
    long now = nanos.getAsLong();
    if (terminal) {
      if (step > startStep) {
        out.print("\r" + fitted(now) + "\u001b[K\n");
      }
    } else if (step > startStep && step != lastPrintedStep) {
      out.println(line(now, false));
    }
    out.flush();
  }

  private String line(long now, boolean bar) {
    return line(now, bar ? 24 : 0, true, true);
  }

  /**
   * The terminal line, short enough for the terminal's width (a longer one wraps, and every
   * redraw then leaves a line behind): the bar shrinks, then the ETA, the rate and the bar go.
   */
  private String fitted(long now) {
    int room = Math.max(1, screen.columns() - 1);
    for (int bar = 24; bar >= 8; bar -= 4) {
      String s = line(now, bar, true, true);
      if (s.length() <= room) {
        return s;
      }
    }
    for (String s : new String[] {line(now, 0, true, true), line(now, 0, true, false), line(now, 0, false, false)}) {
      if (s.length() <= room) {
        return s;
      }
    }
    return line(now, 0, false, false).substring(0, room);
  }

  private String line(long now, int barWidth, boolean showRate, boolean showEta) {
    double secs = firstNanos < 0 ? 0 : (now - firstNanos) / 1e9;
    double rate = secs > 0 ? (step - firstStep) / secs : 0;
    StringBuilder s = new StringBuilder();
    if (barWidth > 0 && lastStep > 0) {
      int filled = (int) Math.min(barWidth, Math.round(barWidth * (double) step / lastStep));
      s.append('[').append("=".repeat(filled)).append(" ".repeat(barWidth - filled)).append("] ");
    }
    s.append("step ").append(step);
    if (lastStep > 0) {
      s.append('/').append(lastStep);
    }
    s.append("  loss ").append(loss(loss));
    s.append(evaluation);
    if (rate > 0 && showRate) {
      s.append(String.format(Locale.ROOT, "  %.1f steps/s", rate));
      if (lastStep > 0 && showEta) {
        s.append("  ETA ").append(duration((lastStep - step) / rate));
      }
    }
    return s.toString();
  }

  /**
   * A loss with seven significant digits (float32 carries about seven), in plain decimal between
   * 1e-6 and 1e7 ({@code 0.2302099}, {@code 0.0001861927}), in exponent notation outside.
   */
  static String loss(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return Double.toString(value);
    }
    double abs = Math.abs(value);
    if (abs != 0 && (abs < 1e-6 || abs >= 1e7)) {
      return String.format(Locale.ROOT, "%.6e", value);
    }
    return new BigDecimal(value).round(new MathContext(7)).stripTrailingZeros().toPlainString();
  }

  /** A metric with four significant digits in plain decimal ({@code 0.9917}, {@code 0.02718}). */
  static String metric(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return Double.toString(value);
    }
    if (value == 0) {
      return "0";
    }
    double abs = Math.abs(value);
    if (abs < 1e-6 || abs >= 1e7) {
      return String.format(Locale.ROOT, "%.3e", value);
    }
    return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
  }

  static String duration(double secs) {
    long s = Math.round(secs);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format("%dm%02ds", s / 60, s % 60);
    }
    return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
  }
}

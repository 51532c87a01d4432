package dev.tfmon.cli;

import dev.tfmon.schedule.LearningRateSchedule;
import java.util.Locale;

/**
 * Parses {@code --lr-schedule} into a {@link LearningRateSchedule} starting from {@code
 * --learning-rate}: {@code NAME:ARG:ARG...}, optionally behind a linear warm-up ({@code
 * warmup:STEPS} alone, or {@code warmup:STEPS+SCHEDULE}).
 *
 * <pre>{@code
 * LearningRateSchedule s = ScheduleSpec.parse("warmup:100+cosine:2000", 0.01);
 * }</pre>
 *
 * <p>Forms (TF 1.x's {@code tf.compat.v1.train.*_decay}, the rate being {@code --learning-rate}):
 * {@code exponential:DECAY_RATE:DECAY_STEPS[:staircase]}, {@code
 * inverse-time:DECAY_RATE:DECAY_STEPS[:staircase]}, {@code natural-exp:DECAY_RATE:DECAY_STEPS[:staircase]},
 * {@code cosine:DECAY_STEPS[:ALPHA]}, {@code cosine-restarts:FIRST_STEPS[:T_MUL[:M_MUL[:ALPHA]]]},
 * {@code polynomial:DECAY_STEPS[:END_RATE[:POWER[:cycle]]]}, {@code
 * piecewise:BOUNDARY,BOUNDARY...:RATE,RATE,RATE...}, {@code constant}.
 */
final class ScheduleSpec {
  static final String FORMS = "exponential:DECAY_RATE:DECAY_STEPS[:staircase], inverse-time:..., natural-exp:...,"
      + " cosine:DECAY_STEPS[:ALPHA], cosine-restarts:FIRST_STEPS[:T_MUL[:M_MUL[:ALPHA]]],"
      + " polynomial:DECAY_STEPS[:END_RATE[:POWER[:cycle]]], piecewise:B1,B2:R1,R2,R3, constant,"
      + " each optionally behind warmup:STEPS+";

  private ScheduleSpec() {}

  /**
   * @throws CliException usage error naming the spec and the expected form
   */
  static LearningRateSchedule parse(String spec, double rate) {
    String s = spec.strip();
    if (s.toLowerCase(Locale.ROOT).startsWith("warmup:")) {
      int plus = s.indexOf('+');
      String warm = plus < 0 ? s : s.substring(0, plus);
      String[] parts = warm.split(":", -1);
      if (parts.length != 2) {
        throw bad(spec, "warmup:STEPS or warmup:STEPS+SCHEDULE, e.g. warmup:100+cosine:2000");
      }
      long steps = positiveLong(spec, parts[1], "the warm-up steps");
      LearningRateSchedule rest = plus < 0 ? LearningRateSchedule.constant(rate) : one(spec, s.substring(plus + 1), rate);
      return rest.withLinearWarmup(steps);
    }
    return one(spec, s, rate);
  }

  private static LearningRateSchedule one(String spec, String s, double rate) {
    String[] p = s.split(":", -1);
    String name = p[0].toLowerCase(Locale.ROOT);
    try {
      switch (name) {
        case "constant":
          args(spec, p, 1, 1, "constant");
          return LearningRateSchedule.constant(rate);
        case "exponential":
        case "inverse-time":
        case "natural-exp": {
          String form = name + ":DECAY_RATE:DECAY_STEPS[:staircase], e.g. " + name + ":0.96:1000";
          args(spec, p, 3, 4, form);
          double decayRate = number(spec, p[1], "the decay rate");
          long steps = positiveLong(spec, p[2], "the decay steps");
          boolean staircase = flag(spec, p, 3, "staircase", form);
          return name.equals("exponential") ? LearningRateSchedule.exponentialDecay(rate, steps, decayRate, staircase)
              : name.equals("inverse-time") ? LearningRateSchedule.inverseTimeDecay(rate, steps, decayRate, staircase)
              : LearningRateSchedule.naturalExpDecay(rate, steps, decayRate, staircase);
        }
        case "cosine": {
          args(spec, p, 2, 3, "cosine:DECAY_STEPS[:ALPHA], e.g. cosine:2000");
          return LearningRateSchedule.cosineDecay(rate, positiveLong(spec, p[1], "the decay steps"),
              p.length > 2 ? number(spec, p[2], "alpha") : 0.0);
        }
        case "cosine-restarts": {
          args(spec, p, 2, 5, "cosine-restarts:FIRST_STEPS[:T_MUL[:M_MUL[:ALPHA]]], e.g. cosine-restarts:500:2:1");
          return LearningRateSchedule.cosineDecayRestarts(rate, positiveLong(spec, p[1], "the first decay steps"),
              p.length > 2 ? number(spec, p[2], "t_mul") : 2.0,
              p.length > 3 ? number(spec, p[3], "m_mul") : 1.0,
              p.length > 4 ? number(spec, p[4], "alpha") : 0.0);
        }
        case "polynomial": {
          String form = "polynomial:DECAY_STEPS[:END_RATE[:POWER[:cycle]]], e.g. polynomial:2000:0.0001:1";
          args(spec, p, 2, 5, form);
          return LearningRateSchedule.polynomialDecay(rate, positiveLong(spec, p[1], "the decay steps"),
              p.length > 2 ? number(spec, p[2], "the end rate") : 0.0001,
              p.length > 3 ? number(spec, p[3], "the power") : 1.0,
              flag(spec, p, 4, "cycle", form));
        }
        case "piecewise": {
          args(spec, p, 3, 3, "piecewise:B1,B2:R1,R2,R3 (one more rate than boundaries), e.g. piecewise:1000,2000:0.01,0.005,0.001");
          String[] b = p[1].split(",", -1);
          String[] r = p[2].split(",", -1);
          long[] bounds = new long[b.length];
          for (int i = 0; i < b.length; i++) {
            bounds[i] = positiveLong(spec, b[i], "a boundary");
          }
          double[] rates = new double[r.length];
          for (int i = 0; i < r.length; i++) {
            rates[i] = number(spec, r[i], "a rate");
          }
          return LearningRateSchedule.piecewiseConstant(bounds, rates);
        }
        default:
          throw bad(spec, FORMS);
      }
    } catch (IllegalArgumentException e) {
      // the schedule's own check (e.g. rates not one more than boundaries, a negative rate)
      throw CliException.usage("--lr-schedule '" + spec + "': " + e.getMessage());
    }
  }

  private static void args(String spec, String[] p, int min, int max, String form) {
    if (p.length < min || p.length > max) {
      throw bad(spec, form);
    }
  }

  private static boolean flag(String spec, String[] p, int i, String word, String form) {
    if (p.length <= i) {
      return false;
    }
    if (!p[i].equalsIgnoreCase(word)) {
      throw bad(spec, form);
    }
    return true;
  }

  private static double number(String spec, String text, String what) {
    try {
      double d = Double.parseDouble(text);
      if (Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw CliException.usage("--lr-schedule '" + spec + "': " + what + " must be a number, but got '" + text + "'");
  }

  private static long positiveLong(String spec, String text, String what) {
    try {
      long v = Long.parseLong(text);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw CliException.usage("--lr-schedule '" + spec + "': " + what + " must be a positive whole number, but got '" + text + "'");
  }

  private static CliException bad(String spec, String form) {
    return CliException.usage("--lr-schedule '" + spec + "': expected " + form);
  }
}

package dev.tfmon.session;

import java.time.Duration;

/**
 * The checks the session builders run at {@code build()}, in one wording: the setting's name, what
 * was expected, and the value given (Guava's "expected ..., but got ...").
 */
final class SettingChecks {
  private SettingChecks() {}

  static Duration nonNegative(String setting, Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException("expected a non-negative " + setting + ", but got " + value);
    }
    return value;
  }

  static double share(String setting, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(
          "expected a " + setting + " between 0 and 1, but got " + value);
    }
    return value;
  }

  /** {@code value} as a frequency: zero turns it off, a negative value is an error. */
  static long frequency(String setting, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          "expected " + setting + " >= 0 (0 turns it off), but got " + value);
    }
    return value;
  }
}

package dev.tfmon.session;

import dev.tfmon.errors.TensorFlowStatusException;
import java.util.Set;
import dev.tfmon.errors.StatusCode;

/** Finds the TensorFlow status behind an exception, looking through wrapping causes. */
final class Preemption {
  private Preemption() {}

  /** The first {@link TensorFlowStatusException} in {@code t}'s cause chain, or null. */
  static TensorFlowStatusException statusOf(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof TensorFlowStatusException) {
        return (TensorFlowStatusException) c;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  /** The status exception behind {@code t} if its code is one of {@code codes}, else null. */
  static TensorFlowStatusException matching(Throwable t, Set<StatusCode> codes) {
    TensorFlowStatusException s = statusOf(t);
    return s != null && codes.contains(s.code()) ? s : null;
  }

  /** True if {@code t} itself is ABORTED or UNAVAILABLE. */
  static boolean isPreemption(Throwable t) {
    return t instanceof TensorFlowStatusException && ((TensorFlowStatusException) t).isPreemption();
  }
}

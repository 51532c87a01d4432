package dev.tfmon.session;

import java.util.function.Supplier;

/**
 * The recovery layer of a session that does not recover ({@link SingularMonitoredSession}): it
 * creates the layers beneath once and passes every call and every error through, so an error a
 * background thread reported is thrown by {@link #shouldStop()} itself, and one raised while
 * closing propagates. It keeps the stack the same shape with and without recovery.
 */
final class PassThroughRecovery extends WrappedSession implements RecoveryLayer {

  PassThroughRecovery(Supplier<? extends SessionLayer> beneath) {
    super(beneath.get());
  }

  @Override
  public int recoveries() {
    return 0;
  }
}

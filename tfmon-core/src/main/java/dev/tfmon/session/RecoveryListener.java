package dev.tfmon.session;

/**
 * Told about every recovery of a monitored session.
 *
 * <pre>{@code
 * MonitoredSession.builder(graph).recoveryListener(e -> metrics.count(e.cause().code())).build();
 * }</pre>
 */
@FunctionalInterface
public interface RecoveryListener {
  void onRecovery(RecoveryEvent event);
}

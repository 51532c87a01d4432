package dev.tfmon.session;

/**
 * The top layer of a monitored session's stack, where a lost session is handled: {@link
 * RecoverableSession} recreates the layers beneath, {@link PassThroughRecovery} (a session without
 * recovery) lets every error through. The monitored session talks only to this layer.
 */
interface RecoveryLayer extends SessionLayer {

  /** How many times the layers beneath were recreated so far. */
  int recoveries();
}

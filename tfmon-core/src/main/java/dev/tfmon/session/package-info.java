/**
 * TensorFlow 1.x's training sessions for TF Java: {@link dev.tfmon.session.MonitoredSession},
 * {@link dev.tfmon.session.SingularMonitoredSession}, {@link
 * dev.tfmon.session.MonitoredTrainingSession}, session creators and the {@link
 * dev.tfmon.session.SessionManager} (which initializes or restores through a {@link
 * dev.tfmon.scaffold.Scaffold}).
 *
 * <p>A monitored session is a stack of layers, one file each: {@link
 * dev.tfmon.session.RecoverableSession} (recreates a lost session; a singular session has a
 * pass-through layer there instead), {@link dev.tfmon.session.CoordinatedSession} (background
 * threads), {@link dev.tfmon.session.HookedSession} (hooks), {@link
 * dev.tfmon.session.RawSessionLayer}. Every call goes down through each of them ({@link
 * dev.tfmon.session.SessionLayer}); {@link dev.tfmon.session.RecoveryPolicy} says what is
 * recoverable.
 *
 * <pre>{@code
 * try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
 *         .checkpointDir(Path.of("runs/mine")).hook(StopAtStepHook.lastStep(10_000)).build()) {
 *   session.runUntilStopped(s -> s.run(trainOp));
 * }
 * }</pre>
 */
package dev.tfmon.session;

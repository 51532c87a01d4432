package dev.tfmon.metrics;

import java.util.Map;

/**
 * A training run as seen from a JMX console (JConsole, VisualVM, jmxterm, a Prometheus JMX
 * exporter): registered by {@link TrainingMetricsHook} as {@code tfmon:type=Training,name=<run
 * name>} while the run lives. Durations are in milliseconds or seconds as the attribute names say;
 * -1 means "not yet".
 *
 * <pre>{@code
 * TrainingMXBean run = JMX.newMXBeanProxy(connection,
 *     new ObjectName("tfmon:type=Training,name=mnist"), TrainingMXBean.class);
 * System.out.println(run.getGlobalStep() + " at " + run.getStepsPerSecond() + " steps/s");
 * run.saveCheckpointNow();
 * run.requestStop();
 * }</pre>
 */
public interface TrainingMXBean {
  /** The run's name (the {@code name} key of this MBean's ObjectName). */
  String getRunName();

  /** The global step read by the last run that fetched it (see {@link TrainingMetricsHook}), or -1. */
  long getGlobalStep();

  /** How many runs completed. */
  long getStepsCompleted();

  /** Global steps per second over the recent runs; 0 until two runs completed. */
  double getStepsPerSecond();

  /** Duration of the last completed run in milliseconds, or -1. */
  double getLastStepDurationMillis();

  /** Seconds since the last run completed, or -1 before any. */
  double getSecondsSinceLastStep();

  /** The step of the last checkpoint written, or -1. */
  long getLastCheckpointStep();

  /** Seconds since the last checkpoint was written, or -1. */
  double getCheckpointAgeSeconds();

  /** How long the last checkpoint save took in milliseconds, or -1. */
  double getCheckpointSaveDurationMillis();

  /** Session recoveries by the status code that caused them (e.g. {@code ABORTED -> 2}). */
  Map<String, Long> getRecoveriesByCode();

  /** Total time spent in each hook's {@code beforeRun} and {@code afterRun}, in milliseconds. */
  Map<String, Double> getHookTimeMillis();

  /** How many stalls the watchdog reported. */
  long getStalls();

  /** The latest value of each monitored scalar tensor (e.g. the loss). */
  Map<String, Double> getScalars();

  /** True once {@link #requestStop()} was called. */
  boolean isStopRequested();

  /**
   * Ends the training loop cleanly after the current step: hooks' {@code end} run, and a final
   * checkpoint is written when the hook has a saver.
   */
  void requestStop();

  /**
   * Writes a checkpoint at the next step boundary, on the training thread.
   *
   * @throws IllegalStateException if the hook was built without a saver
   */
  void saveCheckpointNow();
}

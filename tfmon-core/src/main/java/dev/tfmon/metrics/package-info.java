/**
 * Operating a training job from the JVM (issue #8): the figures of a run in {@link
 * dev.tfmon.metrics.TrainingStats}, fed by {@link dev.tfmon.metrics.TrainingMetricsHook}, which
 * also registers a {@link dev.tfmon.metrics.TrainingMXBean} ({@code tfmon:type=Training,name=<run>})
 * with {@code requestStop()} and {@code saveCheckpointNow()}; the optional Micrometer binding
 * {@link dev.tfmon.metrics.TrainingMeters} ({@code tfmon.global.step}, {@code tfmon.step.duration},
 * {@code tfmon.checkpoint.age}, {@code tfmon.recoveries{code}}, {@code tfmon.hook.duration{hook}},
 * {@code tfmon.scalar{name}}...), the only class here that needs Micrometer on the classpath; and
 * the {@link dev.tfmon.metrics.StallWatchdog}, which logs a thread dump and the run in flight when
 * no step completes in time.
 *
 * <pre>{@code
 * TrainingMetricsHook metrics = TrainingMetricsHook.builder(graph, "mnist")
 *     .saver(saver, "/train/model.ckpt").scalar("loss", loss).build();
 * try (StallWatchdog watchdog = StallWatchdog.builder().stallTimeout(Duration.ofMinutes(10))
 *         .stats(metrics.stats()).build();
 *     TrainingMeters meters = new TrainingMeters(metrics.stats());
 *     TrainingMetricsHook closeMetrics = metrics;
 *     MonitoredSession session = MonitoredSession.builder(graph)
 *         .hook(watchdog).hook(metrics).recoveryListener(metrics.stats()).build()) {
 *   metrics.attach(session);
 *   meters.bindTo(prometheusRegistry);
 *   session.runUntilStopped(s -> s.run(trainOp));
 * }
 * }</pre>
 */
package dev.tfmon.metrics;

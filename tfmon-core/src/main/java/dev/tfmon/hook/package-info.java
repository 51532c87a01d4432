/**
 * Session-run hooks: the {@link dev.tfmon.hook.SessionRunHook} API (every method a default
 * no-op; {@link dev.tfmon.hook.Hooks} turns lambdas into hooks) and TensorFlow 1.x's standard hooks
 * ({@link dev.tfmon.hook.CheckpointSaverHook}, {@link dev.tfmon.hook.StopAtStepHook}, {@link
 * dev.tfmon.hook.StepCounterHook}, {@link dev.tfmon.hook.SummarySaverHook}, {@link
 * dev.tfmon.hook.LoggingTensorHook}, {@link dev.tfmon.hook.NanTensorHook}, ...).
 *
 * <pre>{@code
 * SessionRunHook printLoss = Hooks.fetching("print loss", SessionRunArgs.fetch(loss),
 *     (ctx, values) -> System.out.println(values.getFloat(loss)));
 * }</pre>
 */
package dev.tfmon.hook;

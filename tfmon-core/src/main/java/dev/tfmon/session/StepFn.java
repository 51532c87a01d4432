package dev.tfmon.session;

/**
 * One training step written by the user: it may run the raw session (no hooks), run with hooks,
 * or request a stop. See {@link MonitoredSession#runStepFn(StepFn)}.
 *
 * @param <R> what the step returns
 */
@FunctionalInterface
public interface StepFn<R> {
  R apply(StepContext context) throws Exception;
}

package dev.tfmon.eval;

/**
 * Told of every evaluation an {@link Evaluation} completes, after its summaries and ledger line
 * are written: best-checkpoint retention ({@link BestCheckpoints}) and early stopping ({@link
 * EarlyStoppingHook}) are listeners.
 *
 * <pre>{@code
 * Evaluation evaluation = Evaluation.builder(modelDir, model)
 *     .listener(r -> { System.out.println(r.scalars()); return false; })
 *     .build();
 * }</pre>
 */
@FunctionalInterface
public interface EvaluationListener {
  /**
   * Called once per evaluation, on the evaluating thread.
   *
   * @return true to ask training to stop (an {@link EvaluationHook} then requests a stop; a
   *     sidecar evaluator has no training to stop and ignores it)
   */
  boolean afterEvaluation(EvalResult result);
}

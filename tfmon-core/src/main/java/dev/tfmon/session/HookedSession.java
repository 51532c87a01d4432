package dev.tfmon.session;

import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.List;
import java.util.function.IntFunction;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * The layer that calls hooks around each run: every hook's {@code beforeRun}, one TensorFlow run
 * with the caller's and the hooks' fetches, feeds and options merged, then every hook's {@code
 * afterRun} with its own results. A tensor fed twice (by two hooks, or by a hook and the caller)
 * is an error naming it. Once a hook requests a stop, {@link #shouldStop()} is true.
 *
 * <p>How the requests are merged and the tensors handed out is a {@link RunPlan}; the plans of
 * recent runs are kept, so a loop whose caller and hooks pass the same request objects every run
 * (as the standard hooks do) merges nothing after its first runs.
 *
 * <p>This layer never calls {@code begin}, {@code afterCreateSession} or {@code end}: {@link
 * MonitoredSession} does.
 */
public class HookedSession extends WrappedSession {
  private final List<SessionRunHook> hooks;
  private final HookCosts costs;
  private final RunPlan.Cache plans = new RunPlan.Cache();
  private volatile boolean stopRequestedByHook;

  public HookedSession(SessionLayer inner, List<SessionRunHook> hooks) {
    this(inner, hooks, new HookCosts(hooks));
  }

  HookedSession(SessionLayer inner, List<SessionRunHook> hooks, HookCosts costs) {
    super(inner);
    this.hooks = List.copyOf(hooks);
    this.costs = costs;
  }

  @Override
  protected boolean checkStop() {
    return stopRequestedByHook;
  }

  /** What each hook has cost so far on this layer. */
  public HookCosts.Report hookCosts() {
    return costs.report();
  }

  @Override
  public RunResult run(SessionRunArgs callerArgs) {
    if (shouldStop()) {
      throw new IllegalStateException(
          "cannot run: this session was asked to stop (by a hook); check shouldStop() before each run");
    }
    long start = System.nanoTime();
    SessionRunContext context = new SessionRunContext(callerArgs, requireInner().rawSession().runOnly());
    SessionRunArgs[] requests = beforeRun(context, start);
    boolean hooksAskNothing = true;
    for (SessionRunArgs req : requests) {
      hooksAskNothing &= req == null;
    }
    if (hooksAskNothing) {
      return runAsAsked(callerArgs, context, start);
    }
    RunPlan plan = plans.planFor(callerArgs, requests);
    RunResult all = requireInner().run(plan.merged());
    try {
      RunMetadata metadata = all.metadata().orElse(null);
      RunMetadata hookMetadata = metadata == null ? RunMetadata.getDefaultInstance() : metadata;
      afterRun(context, i -> plan.valuesFor(i, all, hookMetadata));
      if (context.stopRequested()) {
        stopRequestedByHook = true;
      }
      return plan.callerResult(all, metadata);
    } finally {
      // frees what only hooks fetched, or everything if a hook failed
      all.close();
      costs.addStep(System.nanoTime() - start);
    }
  }

  /**
   * Every hook's {@code beforeRun}, timed; null where a hook asks nothing. One clock read per hook:
   * a hook's time runs from the previous reading to the end of its call.
   */
  private SessionRunArgs[] beforeRun(SessionRunContext context, long start) {
    SessionRunArgs[] requests = new SessionRunArgs[hooks.size()];
    long t = start;
    for (int i = 0; i < requests.length; i++) {
      try {
        requests[i] = hooks.get(i).beforeRun(context);
      } finally {
        long now = System.nanoTime();
        costs.addBefore(i, now - t);
        t = now;
      }
    }
    return requests;
  }

  /** Every hook's {@code afterRun} with its values, timed as {@link #beforeRun} times them. */
  private void afterRun(SessionRunContext context, IntFunction<SessionRunValues> valuesOf) {
    long t = System.nanoTime();
    for (int i = 0; i < hooks.size(); i++) {
      try {
        hooks.get(i).afterRun(context, valuesOf.apply(i));
      } finally {
        long now = System.nanoTime();
        costs.addAfter(i, now - t);
        t = now;
      }
    }
  }

  /**
   * The common case, no hook adding anything to the run: the caller's run goes down unchanged and
   * its result comes back as it is.
   */
  private RunResult runAsAsked(SessionRunArgs callerArgs, SessionRunContext context, long start) {
    RunResult result = null;
    try {
      result = requireInner().run(callerArgs);
      RunOptions options =
          callerArgs.options() == null ? RunOptions.getDefaultInstance() : callerArgs.options();
      RunMetadata metadata = result.metadata().orElse(RunMetadata.getDefaultInstance());
      SessionRunValues nothing = SessionRunValues.empty(options, metadata);
      afterRun(context, i -> nothing);
      if (context.stopRequested()) {
        stopRequestedByHook = true;
      }
      RunResult delivered = result;
      result = null;
      return delivered;
    } finally {
      if (result != null) {
        result.close();
      }
      costs.addStep(System.nanoTime() - start);
    }
  }
}

package dev.tfmon.session;

import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DebugOptions;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * The layer that calls hooks around each run: every hook's {@code beforeRun}, one TensorFlow run
 * with the caller's and the hooks' fetches, feeds and options merged, then every hook's {@code
 * afterRun} with its own results. A tensor fed twice (by two hooks, or by a hook and the caller)
 * is an error naming it. Once a hook requests a stop, {@link #shouldStop()} is true.
 *
 * <p>This layer never calls {@code begin}, {@code afterCreateSession} or {@code end}: {@link
 * MonitoredSession} does.
 */
public class HookedSession extends WrappedSession {
  private final List<SessionRunHook> hooks;
  private final HookCosts costs;
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

  // Long (merge, run, hand out, free in one method) until issue 15 item 3 splits it into a run plan.
  @Override
  public RunResult run(SessionRunArgs callerArgs) {
    if (shouldStop()) {
      throw new IllegalStateException(
          "cannot run: this session was asked to stop (by a hook); check shouldStop() before each run");
    }
    long start = System.nanoTime();
    int n = hooks.size();
    SessionRunContext context = new SessionRunContext(callerArgs, requireInner().rawSession().runOnly());
    SessionRunArgs[] requests = new SessionRunArgs[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      try {
        requests[i] = hooks.get(i).beforeRun(context);
      } finally {
        costs.addBefore(i, System.nanoTime() - t0);
      }
    }

    boolean hooksAskNothing = true;
    for (SessionRunArgs req : requests) {
      hooksAskNothing &= req == null;
    }
    if (hooksAskNothing) {
      return runAsAsked(callerArgs, context, start);
    }

    // One de-duplicated list of fetches: the caller's first, then each hook's.
    Map<String, Integer> slotByName = new LinkedHashMap<>();
    List<Output<?>> unique = new ArrayList<>();
    int[] callerSlots = slotsFor(callerArgs.fetches(), slotByName, unique);
    int[][] hookSlots = new int[n][];
    Map<String, Operation> targets = new LinkedHashMap<>();
    callerArgs.targets().forEach(t -> targets.putIfAbsent(t.name(), t));
    Map<String, Output<?>> hookFeedOwners = new LinkedHashMap<>();
    Map<Output<?>, Tensor> hookFeeds = new LinkedHashMap<>();
    RunOptions.Builder options =
        callerArgs.options() == null ? RunOptions.newBuilder() : callerArgs.options().toBuilder();
    boolean wantMetadata = callerArgs.wantMetadata();
    for (int i = 0; i < n; i++) {
      SessionRunArgs req = requests[i];
      if (req == null) {
        continue;
      }
      hookSlots[i] = slotsFor(req.fetches(), slotByName, unique);
      req.targets().forEach(t -> targets.putIfAbsent(t.name(), t));
      if (!req.feeds().isEmpty()) {
        List<String> conflicts = new ArrayList<>();
        for (Map.Entry<Output<?>, Tensor> feed : req.feeds().entrySet()) {
          String name = GraphNames.tensorName(feed.getKey());
          if (hookFeedOwners.containsKey(name)) {
            conflicts.add(name);
          }
        }
        if (!conflicts.isEmpty()) {
          throw new IllegalStateException(
              "Same tensor is fed by two hooks: " + conflicts + "; let one hook feed each tensor");
        }
        req.feeds()
            .forEach(
                (k, v) -> {
                  hookFeedOwners.put(GraphNames.tensorName(k), k);
                  hookFeeds.put(k, v);
                });
      }
      if (req.options() != null) {
        mergeRunOptions(options, req.options());
      }
      wantMetadata |= req.wantMetadata();
    }
    Map<Output<?>, Tensor> feeds = new LinkedHashMap<>(callerArgs.feeds());
    if (!hookFeeds.isEmpty() && !callerArgs.feeds().isEmpty()) {
      List<String> conflicts = new ArrayList<>();
      for (Output<?> callerFeed : callerArgs.feeds().keySet()) {
        String name = GraphNames.tensorName(callerFeed);
        if (hookFeedOwners.containsKey(name)) {
          conflicts.add(name);
        }
      }
      if (!conflicts.isEmpty()) {
        throw new IllegalStateException(
            "Same tensor is fed by a hook and by the caller: " + conflicts + "; drop one of the two feeds");
      }
    }
    feeds.putAll(hookFeeds);
    RunOptions merged = options.build();
    wantMetadata |=
        merged.getTraceLevel() != RunOptions.TraceLevel.NO_TRACE || merged.getOutputPartitionGraphs();

    SessionRunArgs combined =
        new SessionRunArgs(
            unique,
            new ArrayList<>(targets.values()),
            feeds,
            merged.equals(RunOptions.getDefaultInstance()) ? null : merged,
            wantMetadata);
    Tensor[] tensors;
    RunMetadata metadata;
    try (RunResult raw = requireInner().run(combined)) {
      tensors = new Tensor[raw.size()];
      for (int i = 0; i < tensors.length; i++) {
        tensors[i] = raw.take(i);
      }
      metadata = raw.metadata().orElse(null);
    }

    Set<Tensor> ownedByCaller = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Tensor> callerTensors = new ArrayList<>(callerSlots.length);
    for (int slot : callerSlots) {
      callerTensors.add(tensors[slot]);
      ownedByCaller.add(tensors[slot]);
    }
    boolean delivered = false;
    try {
      RunMetadata hookMetadata = metadata == null ? RunMetadata.getDefaultInstance() : metadata;
      for (int i = 0; i < n; i++) {
        SessionRunValues values;
        if (hookSlots[i] == null || hookSlots[i].length == 0) {
          values = SessionRunValues.empty(merged, hookMetadata);
        } else {
          List<Tensor> mine = new ArrayList<>(hookSlots[i].length);
          for (int slot : hookSlots[i]) {
            mine.add(tensors[slot]);
          }
          values = new SessionRunValues(requests[i].fetches(), mine, merged, hookMetadata);
        }
        long t0 = System.nanoTime();
        try {
          hooks.get(i).afterRun(context, values);
        } finally {
          costs.addAfter(i, System.nanoTime() - t0);
        }
      }
      if (context.stopRequested()) {
        stopRequestedByHook = true;
      }
      RunResult result =
          RunResult.ofFetches(
              callerArgs.fetches(), callerTensors, callerArgs.wantMetadata() ? metadata : null);
      delivered = true;
      return result;
    } finally {
      Set<Tensor> closed = Collections.newSetFromMap(new IdentityHashMap<>());
      for (Tensor t : tensors) {
        if ((!delivered || !ownedByCaller.contains(t)) && closed.add(t)) {
          t.close();
        }
      }
      costs.addStep(System.nanoTime() - start);
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
      for (int i = 0; i < hooks.size(); i++) {
        long t0 = System.nanoTime();
        try {
          hooks.get(i).afterRun(context, nothing);
        } finally {
          costs.addAfter(i, System.nanoTime() - t0);
        }
      }
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

  private static int[] slotsFor(
      List<Output<?>> fetches, Map<String, Integer> slotByName, List<Output<?>> unique) {
    int[] slots = new int[fetches.size()];
    for (int i = 0; i < slots.length; i++) {
      Output<?> f = fetches.get(i);
      String name = GraphNames.tensorName(f);
      Integer slot = slotByName.get(name);
      if (slot == null) {
        slot = unique.size();
        slotByName.put(name, slot);
        unique.add(f);
      }
      slots[i] = slot;
    }
    return slots;
  }

  /**
   * Merges {@code incoming} into {@code target} as TensorFlow 1.x does: trace level, timeout,
   * inter-op pool and output_partition_graphs take the larger value; debug tensor watches are
   * appended; the two boolean debugging flags are OR-ed. Other fields are ignored.
   */
  static void mergeRunOptions(RunOptions.Builder target, RunOptions incoming) {
    if (incoming.getTraceLevelValue() > target.getTraceLevelValue()) {
      target.setTraceLevelValue(incoming.getTraceLevelValue());
    }
    target.setTimeoutInMs(Math.max(target.getTimeoutInMs(), incoming.getTimeoutInMs()));
    target.setInterOpThreadPool(
        Math.max(target.getInterOpThreadPool(), incoming.getInterOpThreadPool()));
    target.setOutputPartitionGraphs(
        target.getOutputPartitionGraphs() || incoming.getOutputPartitionGraphs());
    if (incoming.hasDebugOptions()) {
      DebugOptions in = incoming.getDebugOptions();
      DebugOptions.Builder debug = target.getDebugOptionsBuilder();
      debug.addAllDebugTensorWatchOpts(in.getDebugTensorWatchOptsList());
      debug.setResetDiskByteUsage(debug.getResetDiskByteUsage() || in.getResetDiskByteUsage());
    }
    target.setReportTensorAllocationsUponOom(
        target.getReportTensorAllocationsUponOom() || incoming.getReportTensorAllocationsUponOom());
  }
}

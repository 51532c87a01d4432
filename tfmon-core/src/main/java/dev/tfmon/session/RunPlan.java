package dev.tfmon.session;

import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
 * How one hooked run is made: the caller's request and every hook's request merged into one
 * TensorFlow run, and where each fetched tensor goes afterwards. Fetches are de-duplicated (the
 * caller's first, then each hook's in hook order), targets too, feeds are combined (a tensor fed by
 * two hooks, or by a hook and the caller, is an error naming it), and run options are merged as
 * TensorFlow 1.x merges them.
 *
 * <p>A plan depends only on the requests it was made from, and requests are immutable, so {@link
 * HookedSession} keeps recent plans and reuses one when the caller and every hook pass the same
 * request objects as then ({@link #isFor}): the standard hooks return the same request run after
 * run, and a training loop passes the same {@code SessionRunArgs}. Fetches and feeds are told apart
 * by {@link Output} equality (operation and index), never by names read from the native graph.
 *
 * <pre>{@code
 * RunPlan plan = RunPlan.of(callerArgs, hookRequests);   // null request: the hook asks nothing
 * try (RunResult all = inner.run(plan.merged())) {
 *   hooks.get(i).afterRun(context, plan.valuesFor(i, all, metadata));
 *   return plan.callerResult(all, metadata);   // the rest is freed with `all`
 * }
 * }</pre>
 */
final class RunPlan {
  private final SessionRunArgs caller;
  private final SessionRunArgs[] requests;
  private final SessionRunArgs merged;
  private final RunOptions options;
  private final int[] callerSlots;
  private final int[][] hookSlots;

  private RunPlan(
      SessionRunArgs caller,
      SessionRunArgs[] requests,
      SessionRunArgs merged,
      RunOptions options,
      int[] callerSlots,
      int[][] hookSlots) {
    this.caller = caller;
    this.requests = requests;
    this.merged = merged;
    this.options = options;
    this.callerSlots = callerSlots;
    this.hookSlots = hookSlots;
  }

  /**
   * The plan for {@code caller} and the hooks' {@code requests} (null where a hook asks nothing).
   *
   * @throws IllegalStateException naming the tensors, if two hooks feed the same tensor or a hook
   *     feeds one the caller feeds
   */
  static RunPlan of(SessionRunArgs caller, SessionRunArgs[] requests) {
    Map<Output<?>, Integer> slotOf = new HashMap<>();
    List<Output<?>> unique = new ArrayList<>();
    int[] callerSlots = slotsFor(caller.fetches(), slotOf, unique);
    int[][] hookSlots = new int[requests.length][];
    Set<Operation> targets = new LinkedHashSet<>(caller.targets());
    Map<Output<?>, Tensor> hookFeeds = new LinkedHashMap<>();
    RunOptions.Builder options =
        caller.options() == null ? RunOptions.newBuilder() : caller.options().toBuilder();
    boolean wantMetadata = caller.wantMetadata();
    for (int i = 0; i < requests.length; i++) {
      SessionRunArgs req = requests[i];
      if (req == null) {
        continue;
      }
      hookSlots[i] = slotsFor(req.fetches(), slotOf, unique);
      targets.addAll(req.targets());
      if (!req.feeds().isEmpty()) {
        List<String> conflicts = namesAlreadyIn(req.feeds().keySet(), hookFeeds);
        if (!conflicts.isEmpty()) {
          throw new IllegalStateException(
              "Same tensor is fed by two hooks: " + conflicts + "; let one hook feed each tensor");
        }
        hookFeeds.putAll(req.feeds());
      }
      if (req.options() != null) {
        mergeRunOptions(options, req.options());
      }
      wantMetadata |= req.wantMetadata();
    }
    Map<Output<?>, Tensor> feeds = new LinkedHashMap<>(caller.feeds());
    if (!hookFeeds.isEmpty()) {
      List<String> conflicts = namesAlreadyIn(caller.feeds().keySet(), hookFeeds);
      if (!conflicts.isEmpty()) {
        throw new IllegalStateException(
            "Same tensor is fed by a hook and by the caller: " + conflicts + "; drop one of the two feeds");
      }
      feeds.putAll(hookFeeds);
    }
    RunOptions mergedOptions = options.build();
    wantMetadata |=
        mergedOptions.getTraceLevel() != RunOptions.TraceLevel.NO_TRACE
            || mergedOptions.getOutputPartitionGraphs();
    SessionRunArgs merged =
        new SessionRunArgs(
            unique,
            new ArrayList<>(targets),
            feeds,
            mergedOptions.equals(RunOptions.getDefaultInstance()) ? null : mergedOptions,
            wantMetadata);
    return new RunPlan(caller, requests.clone(), merged, mergedOptions, callerSlots, hookSlots);
  }

  /**
   * True if this plan was made from these very request objects (compared by identity: a request is
   * immutable, so the same object asks for the same run).
   */
  boolean isFor(SessionRunArgs callerArgs, SessionRunArgs[] hookRequests) {
    if (callerArgs != caller || hookRequests.length != requests.length) {
      return false;
    }
    for (int i = 0; i < requests.length; i++) {
      if (hookRequests[i] != requests[i]) {
        return false;
      }
    }
    return true;
  }

  /** The one run that serves the caller and every hook. */
  SessionRunArgs merged() {
    return merged;
  }

  /** The merged run options, as hooks see them ({@code RunOptions.getDefaultInstance()} if none). */
  RunOptions options() {
    return options;
  }

  /** The number of distinct tensors the merged run fetches. */
  int size() {
    return merged.fetches().size();
  }

  /** Slot (index into the merged fetches) of each of the caller's fetches, in the caller's order. */
  int[] callerSlots() {
    return callerSlots.clone();
  }

  /** Slot of each of hook {@code hook}'s fetches, in its order; empty if it fetches nothing. */
  int[] hookSlots(int hook) {
    return hookSlots[hook] == null ? new int[0] : hookSlots[hook].clone();
  }

  /**
   * What hook {@code hook} gets back: its own fetches' tensors (a view of {@code all}, which still
   * owns them), the merged options and the metadata.
   */
  SessionRunValues valuesFor(int hook, RunResult all, RunMetadata metadata) {
    int[] slots = hookSlots[hook];
    if (slots == null || slots.length == 0) {
      return SessionRunValues.empty(options, metadata);
    }
    return new SessionRunValues(requests[hook].fetches(), all.view(slots), options, metadata);
  }

  /**
   * The caller's result: the caller's tensors moved out of {@code all} (which frees the rest when
   * closed); {@code metadata} is kept only if the caller asked for it.
   */
  RunResult callerResult(RunResult all, RunMetadata metadata) {
    return all.moveOut(callerSlots, caller.fetches(), caller.wantMetadata() ? metadata : null);
  }

  private static int[] slotsFor(
      List<Output<?>> fetches, Map<Output<?>, Integer> slotOf, List<Output<?>> unique) {
    int[] slots = new int[fetches.size()];
    for (int i = 0; i < slots.length; i++) {
      Output<?> f = fetches.get(i);
      Integer slot = slotOf.get(f);
      if (slot == null) {
        slot = unique.size();
        slotOf.put(f, slot);
        unique.add(f);
      }
      slots[i] = slot;
    }
    return slots;
  }

  /** The names of {@code feeds} already in {@code fed} (names only for the error message). */
  private static List<String> namesAlreadyIn(Set<Output<?>> feeds, Map<Output<?>, Tensor> fed) {
    List<String> conflicts = new ArrayList<>();
    for (Output<?> feed : feeds) {
      if (fed.containsKey(feed)) {
        conflicts.add(GraphNames.tensorName(feed));
      }
    }
    return conflicts;
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

  /**
   * The plans of the last few distinct runs, most recent first. A loop has one or two (the
   * summary hook asks for more on its saving steps); a few more cost a scan of a short array.
   * Thread-safe: the array is replaced, never changed.
   */
  static final class Cache {
    static final int CAPACITY = 4;
    private volatile RunPlan[] recent = new RunPlan[0];

    /** The kept plan for these requests, or a new one (then kept). */
    RunPlan planFor(SessionRunArgs callerArgs, SessionRunArgs[] hookRequests) {
      RunPlan[] kept = recent;
      for (RunPlan p : kept) {
        if (p.isFor(callerArgs, hookRequests)) {
          return p;
        }
      }
      RunPlan made = of(callerArgs, hookRequests);
      RunPlan[] next = new RunPlan[Math.min(CAPACITY, kept.length + 1)];
      next[0] = made;
      System.arraycopy(kept, 0, next, 1, next.length - 1);
      recent = next;
      return made;
    }

    /** How many plans are kept (for tests). */
    int size() {
      return recent.length;
    }
  }

  @Override
  public String toString() {
    return "RunPlan[" + merged.fetches().size() + " fetches, " + merged.targets().size()
        + " targets, " + merged.feeds().size() + " feeds, caller slots "
        + Arrays.toString(callerSlots) + "]";
  }
}

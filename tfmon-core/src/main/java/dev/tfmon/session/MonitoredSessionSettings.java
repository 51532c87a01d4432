package dev.tfmon.session;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.hook.SessionRunHook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The settings every builder of a monitored session has, declared once: {@link
 * MonitoredSession#builder}, {@link SingularMonitoredSession#builder} and {@link
 * MonitoredTrainingSession#builder} all extend this class. As with every tfmon builder, a setter
 * rejects null at once (NullPointerException naming the setting) and every other check happens at
 * {@code build()}, with an IllegalArgumentException naming the setting and the value.
 *
 * <pre>{@code
 * MonitoredSession session = MonitoredTrainingSession.builder(graph)
 *     .hook(StopAtStepHook.lastStep(1000))          // from these settings
 *     .stopGracePeriod(Duration.ofSeconds(30))      // from these settings
 *     .checkpointDir(dir)                           // the training session's own
 *     .build();
 * }</pre>
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class MonitoredSessionSettings<B extends MonitoredSessionSettings<B>> {
  final List<SessionRunHook> hooks = new ArrayList<>();
  Duration stopGracePeriod = Duration.ofSeconds(120);
  RecoveryPolicy recoveryPolicy = RecoveryPolicy.tf1();
  RecoveryListener recoveryListener = e -> {};
  double hookCostWarningShare = 0.10;
  Coordinator.Sleeper sleeper = Coordinator.Sleeper.system();
  LongSupplier nanoClock = System::nanoTime;

  MonitoredSessionSettings() {}

  /** Adds a hook; hooks are called in the order added. */
  public B hook(SessionRunHook hook) {
    hooks.add(Objects.requireNonNull(hook, "hook"));
    return self();
  }

  /** Adds hooks, in order. */
  public B hooks(List<? extends SessionRunHook> list) {
    list.forEach(this::hook);
    return self();
  }

  /** How long {@code close()} waits for background threads (default 120 s). */
  public B stopGracePeriod(Duration grace) {
    this.stopGracePeriod = Objects.requireNonNull(grace, "stopGracePeriod");
    return self();
  }

  /** Which errors recreate the session, with what backoff and budget (default: TF 1.x's). */
  public B recoveryPolicy(RecoveryPolicy policy) {
    this.recoveryPolicy = Objects.requireNonNull(policy, "recoveryPolicy");
    return self();
  }

  /** Told about every recovery (default: nobody). */
  public B recoveryListener(RecoveryListener listener) {
    this.recoveryListener = Objects.requireNonNull(listener, "recoveryListener");
    return self();
  }

  /**
   * The share of step time (0 to 1, default 0.10) above which one of the caller's hooks is named
   * in a warning at close; a training session's default hooks are never named.
   */
  public B hookCostWarningShare(double share) {
    this.hookCostWarningShare = share;
    return self();
  }

  /** Time source and sleeper of the recovery backoff (default: the system's; tests pass fakes). */
  public B recoveryClock(LongSupplier nanos, Coordinator.Sleeper sleep) {
    this.nanoClock = Objects.requireNonNull(nanos, "nanos");
    this.sleeper = Objects.requireNonNull(sleep, "sleep");
    return self();
  }

  /** Checks these settings; the first thing each {@code build()} does. */
  void validate() {
    SettingChecks.nonNegative("stopGracePeriod", stopGracePeriod);
    SettingChecks.share("hookCostWarningShare", hookCostWarningShare);
  }

  /** Gives {@code target} these settings, with {@code allHooks} in place of this builder's hooks. */
  void copyTo(MonitoredSessionSettings<?> target, List<SessionRunHook> allHooks) {
    target.hooks.clear();
    target.hooks.addAll(allHooks);
    target.stopGracePeriod = stopGracePeriod;
    target.recoveryPolicy = recoveryPolicy;
    target.recoveryListener = recoveryListener;
    target.hookCostWarningShare = hookCostWarningShare;
    target.sleeper = sleeper;
    target.nanoClock = nanoClock;
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }
}

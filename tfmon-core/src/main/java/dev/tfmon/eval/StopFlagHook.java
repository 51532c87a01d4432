package dev.tfmon.eval;

import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a worker once its cluster's {@link StopFlag} is set (Estimator's {@code
 * _CheckForStoppingHook}): the flag is fetched with every run, a remote read of one boolean from
 * its ps task, and the first run that sees it true requests the stop.
 *
 * <pre>{@code
 * MonitoredTrainingSession.builder(graph)...hook(new StopFlagHook(flag)).build();
 * }</pre>
 */
public final class StopFlagHook implements SessionRunHook {
  private static final Logger LOG = LoggerFactory.getLogger(StopFlagHook.class);

  private final StopFlag flag;
  private final SessionRunArgs args;
  private volatile boolean seen;

  public StopFlagHook(StopFlag flag) {
    this.flag = Objects.requireNonNull(flag, "flag");
    this.args = SessionRunArgs.fetch(flag.value());
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    return args;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    boolean set = values.get(flag.value()).getBoolean();
    if (set) {
      if (!seen) {
        LOG.info("the stop flag {} is set (the chief decided to stop): stopping", StopFlag.NAME);
      }
      seen = true;
      context.requestStop();
    }
  }

  /** True once a run saw the flag set. */
  public boolean stoppedByFlag() {
    return seen;
  }
}

package dev.tfmon.hook;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Small adapters that turn a lambda into a {@link SessionRunHook}.
 *
 * <pre>{@code
 * SessionRunHook stopAfter100 = Hooks.afterRun((ctx, values) -> { if (++n[0] == 100) ctx.requestStop(); });
 * }</pre>
 */
public final class Hooks {
  private Hooks() {}

  /** A hook that only acts in {@code begin()}. */
  public static SessionRunHook begin(Runnable action) {
    return new SessionRunHook() {
      @Override
      public void begin() {
        action.run();
      }
    };
  }

  /** A hook that only acts after each session creation. */
  public static SessionRunHook afterCreateSession(BiConsumer<NativeSession, Coordinator> action) {
    return new SessionRunHook() {
      @Override
      public void afterCreateSession(NativeSession session, Coordinator coordinator) {
        action.accept(session, coordinator);
      }
    };
  }

  /** A hook that only adds args to each run. */
  public static SessionRunHook beforeRun(Function<SessionRunContext, SessionRunArgs> action) {
    return new SessionRunHook() {
      @Override
      public SessionRunArgs beforeRun(SessionRunContext context) {
        return action.apply(context);
      }
    };
  }

  /** A hook that only acts after each successful run. */
  public static SessionRunHook afterRun(BiConsumer<SessionRunContext, SessionRunValues> action) {
    return new SessionRunHook() {
      @Override
      public void afterRun(SessionRunContext context, SessionRunValues values) {
        action.accept(context, values);
      }
    };
  }

  /**
   * A hook that fetches {@code args} in every run and hands the values to {@code action}.
   */
  public static SessionRunHook fetching(
      SessionRunArgs args, BiConsumer<SessionRunContext, SessionRunValues> action) {
    return new SessionRunHook() {
      @Override
      public SessionRunArgs beforeRun(SessionRunContext context) {
        return args;
      }

      @Override
      public void afterRun(SessionRunContext context, SessionRunValues values) {
        action.accept(context, values);
      }
    };
  }

  /** A hook that only acts at a clean close. */
  public static SessionRunHook end(Consumer<NativeSession> action) {
    return new SessionRunHook() {
      @Override
      public void end(NativeSession session) {
        action.accept(session);
      }
    };
  }
}

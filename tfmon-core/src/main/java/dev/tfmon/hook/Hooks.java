package dev.tfmon.hook;

import dev.tfmon.coord.Coordinator;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Small adapters that turn a lambda into a {@link SessionRunHook}. Each hook has a {@link
 * SessionRunHook#name() name} for reports: the one given, or the kind and the line that made it
 * ({@code afterRun@Trainer.java:42}).
 *
 * <pre>{@code
 * SessionRunHook stopAfter100 = Hooks.afterRun((ctx, values) -> { if (++n[0] == 100) ctx.requestStop(); });
 * SessionRunHook printLoss = Hooks.fetching("print loss", SessionRunArgs.fetch(loss),
 *     (ctx, values) -> System.out.println(values.getFloat(loss)));
 * }</pre>
 */
public final class Hooks {
  private Hooks() {}

  /** A hook that only acts in {@code begin}. */
  public static SessionRunHook begin(Consumer<BeginContext> action) {
    return begin(callerName("begin"), action);
  }

  /** A hook named {@code name} that only acts in {@code begin}. */
  public static SessionRunHook begin(String name, Consumer<BeginContext> action) {
    Objects.requireNonNull(action, "action");
    return new LambdaHook(name) {
      @Override
      public void begin(BeginContext context) {
        action.accept(context);
      }
    };
  }

  /** A hook that only acts after each session creation. */
  public static SessionRunHook afterCreateSession(BiConsumer<RunnableSession, Coordinator> action) {
    return afterCreateSession(callerName("afterCreateSession"), action);
  }

  /** A hook named {@code name} that only acts after each session creation. */
  public static SessionRunHook afterCreateSession(
      String name, BiConsumer<RunnableSession, Coordinator> action) {
    Objects.requireNonNull(action, "action");
    return new LambdaHook(name) {
      @Override
      public void afterCreateSession(RunnableSession session, Coordinator coordinator) {
        action.accept(session, coordinator);
      }
    };
  }

  /** A hook that only adds args to each run. */
  public static SessionRunHook beforeRun(Function<SessionRunContext, SessionRunArgs> action) {
    return beforeRun(callerName("beforeRun"), action);
  }

  /** A hook named {@code name} that only adds args to each run. */
  public static SessionRunHook beforeRun(
      String name, Function<SessionRunContext, SessionRunArgs> action) {
    Objects.requireNonNull(action, "action");
    return new LambdaHook(name) {
      @Override
      public SessionRunArgs beforeRun(SessionRunContext context) {
        return action.apply(context);
      }
    };
  }

  /** A hook that only acts after each successful run. */
  public static SessionRunHook afterRun(BiConsumer<SessionRunContext, SessionRunValues> action) {
    return afterRun(callerName("afterRun"), action);
  }

  /** A hook named {@code name} that only acts after each successful run. */
  public static SessionRunHook afterRun(
      String name, BiConsumer<SessionRunContext, SessionRunValues> action) {
    Objects.requireNonNull(action, "action");
    return new LambdaHook(name) {
      @Override
      public void afterRun(SessionRunContext context, SessionRunValues values) {
        action.accept(context, values);
      }
    };
  }

  /** A hook that fetches {@code args} in every run and hands the values to {@code action}. */
  public static SessionRunHook fetching(
      SessionRunArgs args, BiConsumer<SessionRunContext, SessionRunValues> action) {
    return fetching(callerName("fetching"), args, action);
  }

  /**
   * A hook named {@code name} that fetches {@code args} in every run and hands the values to {@code
   * action}.
   */
  public static SessionRunHook fetching(
      String name, SessionRunArgs args, BiConsumer<SessionRunContext, SessionRunValues> action) {
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(action, "action");
    return new LambdaHook(name) {
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
  public static SessionRunHook end(Consumer<RunnableSession> action) {
    return end(callerName("end"), action);
  }

  /** A hook named {@code name} that only acts at a clean close. */
  public static SessionRunHook end(String name, Consumer<RunnableSession> action) {
    Objects.requireNonNull(action, "action");
    return new LambdaHook(name) {
      @Override
      public void end(RunnableSession session) {
        action.accept(session);
      }
    };
  }

  /** {@code kind@File.java:line} of the first caller outside this class. */
  private static String callerName(String kind) {
    return StackWalker.getInstance()
        .walk(
            frames ->
                frames
                    .filter(f -> !f.getClassName().equals(Hooks.class.getName()))
                    .findFirst()
                    .map(
                        f ->
                            kind
                                + "@"
                                + (f.getFileName() == null ? f.getClassName() : f.getFileName())
                                + ":"
                                + f.getLineNumber())
                    .orElse(kind));
  }

  /** A hook that carries its name; the adapters above override the one method they act in. */
  private abstract static class LambdaHook implements SessionRunHook {
    private final String name;

    LambdaHook(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("expected a non-blank hook name, but got '" + name + "'");
      }
      this.name = name;
    }

    @Override
    public final String name() {
      return name;
    }

    @Override
    public String toString() {
      return name;
    }
  }
}

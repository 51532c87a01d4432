package dev.tfmon.hook;

import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;

/**
 * Feeds the tensors a function returns into every run (TensorFlow 1.x's {@code FeedFnHook}). The
 * hook owns the tensors the function returns and closes them after the run (or, if the run
 * failed, before the next one and at the end).
 *
 * <pre>{@code
 * SessionRunHook feeder = new FeedFnHook(() -> Map.of(x, TFloat32.tensorOf(nextBatch())));
 * }</pre>
 */
public final class FeedFnHook implements SessionRunHook {
  private final Supplier<? extends Map<? extends Operand<?>, ? extends Tensor>> feedFn;
  private final List<Tensor> fed = new ArrayList<>();

  public FeedFnHook(Supplier<? extends Map<? extends Operand<?>, ? extends Tensor>> feedFn) {
    this.feedFn = Objects.requireNonNull(feedFn, "feedFn");
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    closeFed();
    SessionRunArgs.Builder b = SessionRunArgs.builder();
    feedFn.get().forEach((operand, tensor) -> {
      fed.add(tensor);
      b.feed(operand, tensor);
    });
    return b.build();
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    closeFed();
  }

  @Override
  public void end(RunnableSession session) {
    closeFed();
  }

  private void closeFed() {
    for (Tensor t : fed) {
      t.close();
    }
    fed.clear();
  }
}

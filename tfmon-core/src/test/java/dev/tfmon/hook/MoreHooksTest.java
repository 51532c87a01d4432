package dev.tfmon.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.session.HookedSession;
import dev.tfmon.session.RawSessionLayer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** GlobalStepWaiterHook, FinalOpsHook, FeedFnHook and NanTensorHook. */
class MoreHooksTest {

  // BHT-56
  @Test
  void bht56_notWaitForStepZero() {
    try (Graph g = new Graph()) {
      GlobalStep.getOrCreate(g);
      List<Duration> sleeps = new ArrayList<>();
      GlobalStepWaiterHook hook = new GlobalStepWaiterHook(0, Duration.ofMillis(500), sleeps::add);
      hook.begin(new BeginContext(g));
      try (NativeSession session = NativeSession.open(g)) {
        // The global step is not initialized: reading it would fail, so returning proves no read.
        assertThat(hook.beforeRun(new SessionRunContext(SessionRunArgs.builder().build(), session))).isNull();
      }
      assertThat(sleeps).isEmpty();
    }
  }

  @Test
  void globalStepWaiterPollsUntilTheStepIsReached() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      List<Duration> sleeps = new ArrayList<>();
      GlobalStepWaiterHook[] hook = new GlobalStepWaiterHook[1];
      // Each "sleep" stands for another worker advancing the step by 1.
      hook[0] = new GlobalStepWaiterHook(3, Duration.ofMillis(500), d -> {
        sleeps.add(d);
        m.setStep(m.step() + 1);
      });
      HookedSession hooked = m.start(hook[0]);
      m.run(hooked);
      assertThat(sleeps).hasSize(3).containsOnly(Duration.ofMillis(500));
      m.run(hooked);
      assertThat(sleeps).hasSize(3);
      assertThat(m.step()).isEqualTo(5);
    }
  }

  // BHT-58
  @Test
  void bht58_finalOpsIsScalarTensor() {
    try (Graph g = new Graph(); NativeSession s = NativeSession.open(g)) {
      FinalOpsHook hook = new FinalOpsHook(Ops.create(g).constant(4));
      hook.begin(new BeginContext(g));
      assertThat(hook.finalOpsValues()).isNull();
      hook.end(s);
      assertThat(hook.finalOpsValues()).containsExactly(NdArrays.scalarOf(4));
    }
  }

  // BHT-59
  @Test
  void bht59_finalOpsIsTensor() {
    try (Graph g = new Graph(); NativeSession s = NativeSession.open(g)) {
      FinalOpsHook hook = new FinalOpsHook(Ops.create(g).constant(new int[] {1, 6, 3, 5, 2, 4}));
      hook.begin(new BeginContext(g));
      hook.end(s);
      assertThat(hook.finalOpsValues()).containsExactly(NdArrays.vectorOf(1, 6, 3, 5, 2, 4));
    }
  }

  // BHT-61
  @Test
  void bht61_finalOpsWithDictionary() {
    try (Graph g = new Graph();
        NativeSession s = NativeSession.open(g);
        TFloat32 feed = TFloat32.vectorOf(4f, -3f)) {
      Placeholder<TFloat32> p = Ops.create(g).withName("p").placeholder(TFloat32.class);
      FinalOpsHook hook = new FinalOpsHook(List.of(p), Map.of(p, feed));
      hook.begin(new BeginContext(g));
      hook.end(s);
      assertThat(hook.finalOpsValues()).containsExactly(StdArrays.ndCopyOf(new float[] {4f, -3f}));
    }
  }

  // BHT-63
  @Test
  void bht63_feedingPlaceholder() {
    try (Graph g = new Graph(); NativeSession s = NativeSession.open(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      var y = tf.math.add(x, tf.constant(1f));
      List<TFloat32> created = new ArrayList<>();
      FeedFnHook hook = new FeedFnHook(() -> {
        TFloat32 one = TFloat32.scalarOf(1f);
        created.add(one);
        return Map.of(x, one);
      });
      hook.begin(new BeginContext(g));
      HookedSession hooked = new HookedSession(new RawSessionLayer(s), List.of(hook));
      try (RunResult r = hooked.run(SessionRunArgs.fetch(y))) {
        assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(2f);
      }
      try (RunResult r = hooked.run(SessionRunArgs.fetch(y))) {
        assertThat(((TFloat32) r.get(0)).getFloat()).isEqualTo(2f);
      }
      // The feed function is called once per run; the hook owns (and closes) what it returns.
      assertThat(created).hasSize(2);
    }
  }

  @Test
  void nanLossFailsWithTypedExceptionOrRequestsStop() {
    try (Graph g = new Graph(); NativeSession s = NativeSession.open(g);
        HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      Ops tf = Ops.create(g);
      var fine = tf.withName("fine").constant(1.5f);
      var nan = tf.withName("nan").constant(Float.NaN);
      var inf = tf.withName("inf").constant(Float.POSITIVE_INFINITY);
      HookedSession ok = new HookedSession(new RawSessionLayer(s), List.of(new NanTensorHook(fine), new NanTensorHook(inf)));
      ok.run(SessionRunArgs.builder().build()).close();
      assertThat(ok.shouldStop()).isFalse();

      HookedSession failing = new HookedSession(new RawSessionLayer(s), List.of(new NanTensorHook(nan)));
      // issue 15 item 9: the message in our own words (TF's is carried over no more)
      assertThatThrownBy(() -> failing.run(SessionRunArgs.builder().build()))
          .isExactlyInstanceOf(NanLossDuringTrainingException.class)
          .hasMessage(
              "the loss became NaN during training: the model diverged (a lower learning rate, or"
                  + " clipping gradients, may help)");
      assertThat(log.linesWith("is NaN: the model diverged; failing the run")).singleElement().asString()
          .contains("ERROR").contains("the loss nan:0");

      HookedSession stopping = new HookedSession(new RawSessionLayer(s), List.of(new NanTensorHook(nan, false)));
      stopping.run(SessionRunArgs.builder().build()).close();
      assertThat(stopping.shouldStop()).isTrue();
      assertThat(log.linesWith("is NaN: the model diverged; stopping the training")).singleElement().asString()
          .contains("WARN");
    }
  }

  @Test
  void intFinalOpsCopyIsHeapValue() {
    try (TInt32 t = TInt32.vectorOf(7, 8)) {
      assertThat(FinalOpsHook.heapCopy(t)).isEqualTo(NdArrays.vectorOf(7, 8));
    }
  }

  // issue 11 item 20: a final op that reads an exhausted input fails with OUT_OF_RANGE, and the
  // warning says why in our words: the final ops probably depend on the input that ran out.
  @Test
  void finalOpsOnAnExhaustedInputSayWhy() {
    try (Graph g = new Graph();
        HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      Ops tf = Ops.create(g);
      var queue = tf.withName("input").io.fifoQueue(List.of(TFloat32.class));
      var close = tf.io.queueClose(queue);
      var next = tf.withName("next_batch").io.queueDequeue(queue, List.of(TFloat32.class));
      FinalOpsHook hook = new FinalOpsHook(next.components().get(0));
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(close).run().close();
        assertThatThrownBy(() -> hook.end(s)).isInstanceOf(dev.tfmon.errors.OutOfRangeException.class);
      }
      assertThat(hook.finalOpsValues()).isNull();
      assertThat(log.linesWith("could not be evaluated"))
          .singleElement()
          .asString()
          .contains("WARN")
          .contains("the final ops [next_batch:0]")
          .contains("They probably read from the input source that ended the loop, which is now exhausted");
    }
  }
}

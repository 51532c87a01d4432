package dev.tfmon.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.session.HookedSession;
import dev.tfmon.session.RawSessionLayer;
import dev.tfmon.testing.ManualClock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

class LoggingTensorHookTest {

  // BHT-10
  @Test
  void bht10_illegalArgs() {
    assertThatThrownBy(() -> LoggingTensorHook.builder().tensor("t").everyNIter(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected everyNIter > 0, but got 0");
    assertThatThrownBy(() -> LoggingTensorHook.builder().tensor("t").everyNIter(-10).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected everyNIter > 0, but got -10");
    assertThatThrownBy(() -> LoggingTensorHook.builder().tensor("t").everyNIter(5).everyNSecs(5).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("everyNIter (5) and everyNSecs (5.0) are both set: set only one of them");
    assertThatThrownBy(() -> LoggingTensorHook.builder().tensor("t").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nothing says when to log: set everyNIter or everyNSecs, or atEnd(true)");
  }

  /** t = constant 42.0 named foo (or foo_1 ...), train = constant 3. */
  private static final class Model implements AutoCloseable {
    final Graph graph = new Graph();
    final Operation train;
    NativeSession session;

    Model() {
      train = Ops.create(graph).withName("train").constant(3).op();
    }

    Output<TFloat32> newConstant() {
      Ops tf = Ops.create(graph);
      return tf.withName(dev.tfmon.runtime.GraphNames.uniqueOpName(graph, "foo")).constant(42.0f).asOutput();
    }

    HookedSession hooked(LoggingTensorHook hook) {
      if (session == null) {
        session = NativeSession.open(graph);
      }
      return new HookedSession(new RawSessionLayer(session), List.of(hook));
    }

    @Override
    public void close() {
      if (session != null) {
        session.close();
      }
      graph.close();
    }
  }

  // BHT-11
  @Test
  void bht11_printAtEndOnly() {
    try (Model m = new Model(); HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      String name = dev.tfmon.runtime.GraphNames.tensorName(m.newConstant());
      LoggingTensorHook hook = LoggingTensorHook.builder().tensor(name).atEnd(true).build();
      hook.begin(new BeginContext(m.graph));
      HookedSession hooked = m.hooked(hook);
      log.drain();
      for (int i = 0; i < 3; i++) {
        HookTesting.StepModel.runTrain(hooked, m.train);
      }
      assertThat(log.linesWith(name)).isEmpty();
      hook.end(m.session);
      assertThat(log.linesWith(name)).singleElement().asString().contains(name + " = 42.0");
    }
  }

  // BHT-12
  @Test
  void bht12_printEveryNSteps() {
    try (Model m = new Model(); HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      for (int repeat = 0; repeat < 2; repeat++) {
        String name = dev.tfmon.runtime.GraphNames.tensorName(m.newConstant());
        assertThat(name).isEqualTo(repeat == 0 ? "foo:0" : "foo_1:0");
        LoggingTensorHook hook = LoggingTensorHook.builder().tensor(name).everyNIter(10).atEnd(false).build();
        hook.begin(new BeginContext(m.graph));
        HookedSession hooked = m.hooked(hook);
        log.drain();
        HookTesting.StepModel.runTrain(hooked, m.train);
        assertThat(log.linesWith(name)).singleElement().asString().contains(name + " = 42.0");
        for (int round = 0; round < 3; round++) {
          for (int i = 0; i < 9; i++) {
            HookTesting.StepModel.runTrain(hooked, m.train);
          }
          assertThat(log.linesWith(name)).isEmpty();
          HookTesting.StepModel.runTrain(hooked, m.train);
          assertThat(log.linesWith(name)).singleElement().asString().contains(name + " = 42.0").contains(" sec)");
        }
        HookTesting.StepModel.runTrain(hooked, m.train);
        hook.end(m.session);
        assertThat(log.linesWith(name)).isEmpty();
      }
    }
  }

  private static void everyNSecs(boolean atEnd) {
    try (Model m = new Model(); HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      for (int repeat = 0; repeat < 2; repeat++) {
        ManualClock clock = new ManualClock();
        String name = dev.tfmon.runtime.GraphNames.tensorName(m.newConstant());
        LoggingTensorHook hook =
            LoggingTensorHook.builder().tensor(name).everyNSecs(1.0).atEnd(atEnd).clock(clock).build();
        hook.begin(new BeginContext(m.graph));
        HookedSession hooked = m.hooked(hook);
        log.drain();
        HookTesting.StepModel.runTrain(hooked, m.train);
        assertThat(log.linesWith(name)).hasSize(1);
        HookTesting.StepModel.runTrain(hooked, m.train);
        assertThat(log.linesWith(name)).isEmpty();
        clock.advanceSeconds(1.0);
        HookTesting.StepModel.runTrain(hooked, m.train);
        assertThat(log.linesWith(name)).singleElement().asString().contains(name + " = 42.0 (1.000 sec)");
        hook.end(m.session);
        assertThat(log.linesWith(name)).hasSize(atEnd ? 1 : 0);
      }
    }
  }

  // BHT-15
  @Test
  void bht15_printEveryNSecs() {
    everyNSecs(false);
  }

  // BHT-16
  @Test
  void bht16_printEveryNSecsAndEnd() {
    everyNSecs(true);
  }

  // BHT-17
  @Test
  void bht17_printFormatter() {
    try (Model m = new Model(); HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      String name = dev.tfmon.runtime.GraphNames.tensorName(m.newConstant());
      LoggingTensorHook hook =
          LoggingTensorHook.builder()
              .tensor(name)
              .everyNIter(10)
              .formatter(values -> "qqq=" + LoggingTensorHook.render(values.get(name)))
              .build();
      hook.begin(new BeginContext(m.graph));
      HookedSession hooked = m.hooked(hook);
      log.drain();
      HookTesting.StepModel.runTrain(hooked, m.train);
      List<String> lines = log.linesWith("LoggingTensorHook");
      assertThat(lines).singleElement().asString().endsWith(" - qqq=42.0");
    }
  }

  @Test
  void mapTensorsAreLoggedInSortedTagOrderAndNamesResolve() {
    try (Model m = new Model(); HookTesting.LogCapture log = new HookTesting.LogCapture()) {
      Output<TFloat32> foo = m.newConstant();
      Ops tf = Ops.create(m.graph);
      var vec = tf.withName("vec").constant(new int[] {1, 6, 3});
      LoggingTensorHook hook =
          LoggingTensorHook.builder().tensors(Map.of("zz", foo, "aa", "vec")).everyNIter(1).build();
      hook.begin(new BeginContext(m.graph));
      HookedSession hooked = m.hooked(hook);
      log.drain();
      HookTesting.StepModel.runTrain(hooked, m.train);
      assertThat(log.linesWith("LoggingTensorHook")).singleElement().asString().endsWith(" - aa = [1 6 3], zz = 42.0");
      assertThat(vec).isNotNull();
    }
  }

  @Test
  void ambiguousOrUnknownNamesFailInBeginNamingThem() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      tf.withName("two").unique(tf.constant(new int[] {1, 1}), tf.constant(new int[] {0}));
      assertThatThrownBy(() -> LoggingTensorHook.builder().tensor("two").everyNIter(1).build().begin(new BeginContext(g)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'two' is ambiguous");
      assertThatThrownBy(() -> LoggingTensorHook.builder().tensor("nope:0").everyNIter(1).build().begin(new BeginContext(g)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'nope'");
    }
  }
}

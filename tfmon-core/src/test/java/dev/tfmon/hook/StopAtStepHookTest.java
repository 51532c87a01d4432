package dev.tfmon.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.session.HookedSession;
import dev.tfmon.session.RawSessionLayer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;

class StopAtStepHookTest {

  // BHT-06
  @Test
  void bht06_raiseInBothLastStepAndNumSteps() {
    // issue 15 item 9: the message in our own words (TF's is carried over no more)
    assertThatThrownBy(() -> StopAtStepHook.of(10L, 20L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("numSteps (10) and lastStep (20) are both given: give only one");
    assertThatThrownBy(() -> StopAtStepHook.of(null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("neither numSteps nor lastStep is given: say when to stop with one of them");
  }

  // BHT-07
  @Test
  void bht07_stopBasedOnLastStep() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      org.tensorflow.Operation noOp = Ops.create(m.graph).withName("no_op").noOp().op();
      StopAtStepHook hook = StopAtStepHook.lastStep(10);
      HookedSession hooked = m.start(hook);
      m.setStep(5);
      m.afterCreateSession(hook);
      HookTesting.StepModel.runTrain(hooked, noOp);
      assertThat(hooked.shouldStop()).isFalse();
      m.setStep(9);
      HookTesting.StepModel.runTrain(hooked, noOp);
      assertThat(hooked.shouldStop()).isFalse();
      m.setStep(10);
      HookTesting.StepModel.runTrain(hooked, noOp);
      assertThat(hooked.shouldStop()).isTrue();
      m.setStep(11);
      // A fresh hook-running layer stands for Python's reset of the stop flag.
      HookedSession again = new HookedSession(new RawSessionLayer(m.session), List.of(hook));
      HookTesting.StepModel.runTrain(again, noOp);
      assertThat(again.shouldStop()).isTrue();
    }
  }

  @Test
  void numStepsCountsFromTheFirstSessionsStepOnce() {
    try (HookTesting.StepModel m = new HookTesting.StepModel()) {
      StopAtStepHook hook = StopAtStepHook.numSteps(3);
      HookedSession hooked = m.start(hook);
      m.setStep(7);
      m.afterCreateSession(hook);
      assertThat(hook.lastStep()).isEqualTo(10);
      m.setStep(8);
      m.afterCreateSession(hook); // a recovery keeps the last step
      assertThat(hook.lastStep()).isEqualTo(10);
      m.run(hooked);
      assertThat(hooked.shouldStop()).isFalse();
      m.run(hooked);
      assertThat(hooked.shouldStop()).isTrue();
      assertThat(m.step()).isEqualTo(10);
    }
  }

  @Test
  void graphWithoutGlobalStepIsAClearError() {
    try (Graph g = new Graph()) {
      assertThatThrownBy(() -> StopAtStepHook.numSteps(1).begin(new BeginContext(g)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "StopAtStepHook needs a global step, but the graph has none: create it with"
                  + " GlobalStep.getOrCreate(graph) before building the session");
    }
  }
}

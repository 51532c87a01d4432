package dev.tfmon.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StatusExceptionsTest {

  @Test
  void codesCarryTensorFlowsNumericValues() {
    assertThat(StatusCode.values()).hasSize(17);
    for (StatusCode c : StatusCode.values()) {
      assertThat(StatusCode.fromValue(c.value())).isSameAs(c);
    }
    assertThat(StatusCode.ABORTED.value()).isEqualTo(10);
    assertThat(StatusCode.UNAVAILABLE.value()).isEqualTo(14);
    assertThat(StatusCode.UNAUTHENTICATED.value()).isEqualTo(16);
    assertThatThrownBy(() -> StatusCode.fromValue(17))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a TensorFlow status code from 0 to 16, but got 17");
  }

  @Test
  void everyNonOkCodeHasItsOwnSubclass() {
    for (StatusCode c : StatusCode.values()) {
      if (c == StatusCode.OK) {
        assertThatThrownBy(() -> TensorFlowStatusException.of(c, "x"))
            .isInstanceOf(IllegalArgumentException.class);
        continue;
      }
      TensorFlowStatusException e = TensorFlowStatusException.of(c, "boom");
      assertThat(e.code()).isSameAs(c);
      assertThat(e.getClass()).isNotEqualTo(TensorFlowStatusException.class);
      assertThat(e.getClass().getSimpleName().toUpperCase())
          .isEqualTo(c.name().replace("_", "") + "EXCEPTION");
      assertThat(e.isPreemption()).isEqualTo(c == StatusCode.ABORTED || c == StatusCode.UNAVAILABLE);
    }
  }

  @Test
  void messageShowsTheCodeAndFirstLineAndKeepsTheFullText() {
    String tf = "Session handle is not found: abc.\n\t [[{{node read}}]]\nmore context";
    TensorFlowStatusException e = TensorFlowStatusException.of(StatusCode.ABORTED, tf);
    assertThat(e).isInstanceOf(AbortedException.class);
    assertThat(e.getMessage()).isEqualTo("ABORTED: Session handle is not found: abc.");
    assertThat(e.firstLine()).isEqualTo("Session handle is not found: abc.");
    assertThat(e.tensorflowMessage()).isEqualTo(tf);
    assertThat(new UnknownException("").firstLine()).isEqualTo("(no message)");
  }
}

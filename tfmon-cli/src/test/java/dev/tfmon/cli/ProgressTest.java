package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
  // issue 17 terminal width: at 60 columns every redraw fits one line, so "\r" leaves no trail
  @Test
  void theTerminalLineFitsTheWidth() {
    for (int columns : new int[] {120, 80, 60, 40, 20}) {
      StringWriter text = new StringWriter();
      AtomicLong now = new AtomicLong();
      Progress p = new Progress(new PrintWriter(text), Terminal.of(true, columns), 0, 1_000_000, 100, now::get);
      for (long step = 1; step <= 2000; step++) {
        now.addAndGet(1_000_000);
        p.update(step, 0.123456789 / step);
      }
      p.finish();
      for (String draw : text.toString().split("[\r\n]")) {
        String visible = draw.replace("\u001b[K", "");
        assertThat(visible.length()).as("at %d columns: '%s'", columns, visible).isLessThan(columns);
      }
      if (columns >= 80) {
        assertThat(text.toString()).contains("[").contains("steps/s").contains("ETA");
      }
    }
  }

  // issue 17 loss format: one significant-digit format, never 1.546359E-4 beside 0.0390
  @Test
  void lossesHaveSevenSignificantDigitsInPlainDecimal() {
    assertThat(Progress.loss((float) 1.546359E-4)).isEqualTo("0.0001546359");
    assertThat(Progress.loss(0.0390f)).isEqualTo("0.039");
    assertThat(Progress.loss(1.0986123f)).isEqualTo("1.098612");
    assertThat(Progress.loss(2.5e-9)).isEqualTo("2.500000e-09");
    assertThat(Progress.loss(0)).isEqualTo("0");
  }

  // issue 17 terminal detection: no console is no terminal; COLUMNS wins
  @Test
  void terminalDetectionAndWidth() {
    assertThat(Terminal.isTerminal(null)).isFalse();
    assertThat(Terminal.columns(Map.of("COLUMNS", "60"))).isEqualTo(60);
  }

  // issue 11 item 9: what the native filter drops, and what it keeps
  @Test
  void theNativeFilterDropsInfoLinesOnly() {
    assertThat(NativeLogFilter.drops("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR")).isTrue();
    assertThat(NativeLogFilter.drops("I0000 00:00:1796035086.144909   15955 mlir_graph_optimization_pass.cc:401] MLIR V1 optimization pass is not enabled")).isTrue();
    assertThat(NativeLogFilter.drops("2026-11-30 10:33:17.117209: I tensorflow/core/framework/local_rendezvous.cc:405] Local rendezvous is aborting")).isTrue();
    assertThat(NativeLogFilter.drops("2026-11-30 10:33:20.685098: W tensorflow/core/framework/op_kernel.cc:1841] OP_REQUIRES failed")).isFalse();
    assertThat(NativeLogFilter.drops("E0000 00:00:1796035086.144909   15955 server.cc:12] port in use")).isFalse();
    assertThat(NativeLogFilter.drops("tfmon: error: --data x.csv: no such file")).isFalse();
  }
}

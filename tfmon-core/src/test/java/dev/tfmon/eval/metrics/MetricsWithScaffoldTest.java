package dev.tfmon.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.graph.GraphFinalization;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.scaffold.Scaffold;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * Metric variables with the Scaffold's defaults: its init op leaves them alone, its local init op
 * zeroes them (the reset between two evaluations), its ready op waits for them, its saver skips
 * them.
 */
// issue 12
class MetricsWithScaffoldTest {

  @Test
  void localInitOpResetsMetricsAndTheSaverLeavesThemOut(@TempDir Path dir) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      tf.withName("weights").variable(tf.constant(new float[] {1f, 2f}));
      Metric mean = StreamingMetrics.mean(tf.reshape(x, tf.constant(new long[] {-1}))).build();
      Scaffold scaffold = Scaffold.of(g).finalizeScaffold();
      try (NativeSession s = NativeSession.open(g)) {
        s.runner().addTarget(scaffold.initOp()).run().close();
        assertThat(notReady(s, scaffold.readyOp())).containsExactly("mean/total", "mean/count");
        assertThat(notReady(s, scaffold.readyForLocalInitOp())).isEmpty();
        s.runner().addTarget(scaffold.localInitOp()).run().close();
        assertThat(notReady(s, scaffold.readyOp())).isEmpty();

        update(s, x, mean, 4f);
        update(s, x, mean, 6f);
        assertThat(value(s, mean)).isEqualTo(5f);
        s.runner().addTarget(scaffold.localInitOp()).run().close();
        assertThat(value(s, mean)).isZero();
        update(s, x, mean, 1f);
        assertThat(value(s, mean)).isEqualTo(1f);

        String prefix = scaffold.saver().save(s, dir.resolve("model.ckpt").toString(), 1L);
        try (CheckpointReader reader = CheckpointReader.open(prefix)) {
          assertThat(reader.variables().keySet()).containsExactly("weights");
        }
      } finally {
        GraphFinalization.unfinalize(g);
      }
    }
  }

  private static void update(NativeSession s, Placeholder<TFloat32> x, Metric m, float v) {
    try (TFloat32 t = TFloat32.scalarOf(v)) {
      s.runner().feed(x, t).addTarget(m.updateOp()).run().close();
    }
  }

  private static float value(NativeSession s, Metric m) {
    try (RunResult r = s.runner().fetch(m.value()).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  private static List<String> notReady(NativeSession s, Output<TString> report) {
    try (RunResult r = s.runner().fetch(report).run()) {
      TString names = (TString) r.get(0);
      List<String> out = new ArrayList<>();
      for (long i = 0; i < names.shape().size(0); i++) {
        out.add(names.getObject(i));
      }
      return out;
    }
  }
}

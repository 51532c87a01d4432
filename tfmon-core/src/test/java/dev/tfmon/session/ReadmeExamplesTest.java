package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.errors.AbortedException;
import dev.tfmon.errors.UnavailableException;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.hook.Hooks;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.testing.RepoFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The README's Java blocks on typed reads and the raw layer are copied from this class (between
 * the {@code README:} markers): they compile and run here, and the test fails when the README's
 * text and this code part.
 */
class ReadmeExamplesTest {
  private final List<String> printed = new ArrayList<>();

  @Test
  void typedReadsFeedingStepsAndHooks() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
      Operand<TFloat32> loss = tf.math.square(tf.math.sub(tf.math.mul(x, w), tf.constant(6f)));
      Operation train = TrainOps.minimize(new GradientDescent(graph, 0.05f), loss, "train_op");
      List<String> lines = printedBy(() -> {
        // README: typed-reads begin
        Output<TInt64> step = GlobalStep.readTensor(graph);
        SessionRunHook printLoss = Hooks.fetching("print loss", SessionRunArgs.fetch(loss, step),
            (ctx, values) -> System.out.printf("step %d loss %.4f%n", values.getLong(step), values.getFloat(loss)));
        try (MonitoredSession session = MonitoredSession.builder(graph).hook(printLoss).build();
             TFloat32 batch = TFloat32.scalarOf(2f)) {
          // a fed training step: nothing is fetched, so there is no result to close
          session.runTargets(SessionRunArgs.builder().feed(x, batch).target(train).build());
          try (RunResult r = session.runner().feed(x, batch).fetch(loss).fetch(step).run()) {
            float lossValue = r.getFloat(loss);                 // float32 scalar; getDouble, getInt, getLong too
            long stepValue = r.getLong(step);                   // int64 (or int32) scalar
            TFloat32 lossTensor = r.get(loss);                  // the tensor, typed as the operand, owned by r
        // README: typed-reads end
            printed.add(lossValue + " " + stepValue + " " + lossTensor.getFloat());
          }
        }
      });
      // w = 0 at first: loss (2*0-6)^2 = 36; one step w += 0.05 * 2*6*2 = 1.2: (2.4-6)^2 = 12.96.
      assertThat(lines).containsExactly("step 0 loss 36.0000", "step 1 loss 12.9600");
      assertThat(printed).containsExactly("12.959999 1 12.959999");
    }
  }

  @Test
  void theRawLayer() {
    List<String> lines = printedBy(() -> {
      // README: raw-layer begin
try (Graph graph = new Graph()) {
  Ops tf = Ops.create(graph);
  Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
  Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
  Operand<TFloat32> loss = tf.math.square(tf.math.sub(tf.math.mul(x, w), tf.constant(6f)));
  Operation train = TrainOps.minimize(new GradientDescent(graph, 0.05f), loss, "train_op");

  try (NativeSession session = NativeSession.open(graph);   // or open(graph, "grpc://host:port", config)
       TFloat32 two = TFloat32.scalarOf(2f)) {
    session.runner().addTargets(NativeSession.graphInitializers(graph)).runTargets();
    for (int i = 0; i < 100; i++) {
      try (RunResult r = session.runner().feed(x, two).fetch(loss).addTarget(train).run()) {
        System.out.println(r.getFloat(loss));            // typed reads by operand: getFloat, getLong, get(...)
      }
    }
    System.out.println("global step " + GlobalStep.value(session));
  } catch (AbortedException | UnavailableException preempted) {
    // TensorFlow's exact status code survives: a cluster task went away
  }
}
      // README: raw-layer end
    });
    assertThat(lines).hasSize(101).startsWith("36.0", "12.959999");
    assertThat(lines.get(100)).isEqualTo("global step 100");
  }

  @Test
  void theReadmeShowsThisCode() throws IOException {
    String readme = Files.readString(RepoFiles.find("README.md"));
    String self =
        Files.readString(Path.of("src/test/java/dev/tfmon/session/ReadmeExamplesTest.java"));
    for (String name : List.of("typed-reads", "raw-layer")) {
      String begin = "// README: " + name + " begin\n";
      String end = "// README: " + name + " end";
      String code = self.substring(self.indexOf(begin) + begin.length(), self.indexOf(end));
      List<String> lines = code.lines().toList();
      int indent = lines.stream().filter(l -> !l.isBlank())
          .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
      StringBuilder block = new StringBuilder();
      for (String l : lines) {
        block.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
      }
      assertThat(readme).as("README block " + name).contains(block.toString().stripTrailing());
    }
  }

  /** The lines {@code example} prints to standard output. */
  private static List<String> printedBy(Runnable example) {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      example.run();
    } finally {
      System.setOut(out);
    }
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }
}

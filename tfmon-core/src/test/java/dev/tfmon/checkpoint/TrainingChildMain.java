package dev.tfmon.checkpoint;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.testing.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * A training process for crash-safety tests: {@code w} (4096 floats) and {@code global_step} both
 * grow by one per step, so in any consistent checkpoint {@code w[0] == global_step}. It resumes
 * from {@link Checkpoints#newestRestorable}, saves every {@code saveEvery} steps and prints {@code
 * resumed <step> <w0>} and {@code saved <step>}.
 *
 * <p>Args: {@code dir saveEvery crash|preempt}.
 */
public final class TrainingChildMain {
  private TrainingChildMain() {}

  public static void main(String[] args) {
    ChildJvm.exitWhenParentDies();
    Path dir = Path.of(args[0]);
    int saveEvery = Integer.parseInt(args[1]);
    boolean preempt = args[2].equals("preempt");
    try (Graph g = new Graph()) {
      GraphOperation w;
      GraphOperation step;
      try (TFloat32 zeros = TFloat32.tensorOf(Shape.of(4096), org.tensorflow.ndarray.buffer.DataBuffers.of(new float[4096])); TInt64 zero = TInt64.scalarOf(0)) {
        w = TestModels.variable(g, "w", zeros);
        step = TestModels.variable(g, "global_step", zero);
      }
      Ops tf = Ops.create(g);
      var s = tf.scope();
      GraphOperation bumpW =
          g.opBuilder("AssignAdd", "bump_w", s).addInput(w.output(0)).addInput(tf.fill(tf.constant(new int[] {4096}), tf.constant(1f)).asOutput()).build();
      GraphOperation bumpStep =
          g.opBuilder("AssignAdd", "bump_step", s).addInput(step.output(0)).addInput(tf.constant(1L).asOutput()).build();
      Saver saver = Saver.builder(g).maxToKeep(3).build();
      String prefix = dir.resolve("model.ckpt").toString();
      try (NativeSession session = NativeSession.open(g)) {
        Optional<String> restorable = Checkpoints.newestRestorable(dir);
        if (restorable.isPresent()) {
          saver.restore(session, restorable.get());
        } else {
          TestModels.initialize(session);
        }
        long current;
        float w0;
        try (RunResult r = session.runner().fetch("global_step").fetch("w").run()) {
          current = ((TInt64) r.get(0)).getLong();
          w0 = ((TFloat32) r.get(1)).getFloat(0);
        }
        System.out.println("resumed " + current + " " + w0 + " " + restorable.orElse("-"));
        PreemptionSaver preemption =
            preempt
                ? PreemptionSaver.register(
                    saver, session, prefix, () -> readStep(session), Duration.ofSeconds(20))
                : null;
        while (preemption == null || !preemption.shutdownRequested()) {
          session.runner().addTarget(bumpW).addTarget(bumpStep).run().close();
          current++;
          if (current % saveEvery == 0) {
            saver.save(session, prefix, current);
            System.out.println("saved " + current);
          }
        }
        preemption.awaitFinalCheckpoint(Duration.ofSeconds(30));
        System.out.println("stopped " + preemption.finalCheckpoint().orElse("-"));
      }
    }
  }

  private static long readStep(NativeSession session) {
    try (RunResult r = session.runner().fetch("global_step").run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }
}

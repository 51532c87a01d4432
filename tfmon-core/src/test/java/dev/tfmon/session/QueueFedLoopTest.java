package dev.tfmon.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.coord.QueueRunner;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.graph.TrainOps;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.runtime.SessionRunArgs;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.op.io.QueueDequeue;
import org.tensorflow.op.io.QueueEnqueue;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** A training loop fed by a queue runner ends cleanly when the input is exhausted. */
class QueueFedLoopTest {

  @Test
  void trainingOnAQueueEndsOnOutOfRangeWithoutTryCatch() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      GlobalStep.getOrCreate(g);
      Variable<TInt64> counter = tf.withName("counter").variable(tf.constant(0L));
      FifoQueue queue = tf.withName("input_queue").io.fifoQueue(List.of(TFloat32.class), FifoQueue.capacity(8L));
      var produced = tf.dtypes.cast(tf.countUpTo(counter, 50L), TFloat32.class);
      QueueEnqueue enqueue = tf.io.queueEnqueue(queue, List.of(produced));
      QueueRunner.addQueueRunner(g, QueueRunner.builder(queue).addEnqueueOp(enqueue).build());
      QueueDequeue dequeue = tf.io.queueDequeue(queue, List.of(TFloat32.class));
      @SuppressWarnings("unchecked")
      var x = (org.tensorflow.Operand<TFloat32>) dequeue.components().get(0);
      Variable<TFloat32> w = tf.withName("w").variable(tf.constant(0f));
      // Learn w with w * x ≈ 2 x on the stream of x = 1..50 (scaled down).
      var xs = tf.math.div(x, tf.constant(50f));
      var loss = tf.withName("loss").math.square(tf.math.sub(tf.math.mul(w, xs), tf.math.mul(tf.constant(2f), xs)));
      Operation train = TrainOps.minimize(new GradientDescent(g, 0.5f), loss, "train_op");

      long steps;
      float lastLoss;
      try (MonitoredSession s = MonitoredSession.builder(g).build()) {
        float[] seen = {Float.NaN};
        steps =
            s.runUntilStopped(
                session -> {
                  try (RunResult r = session.run(SessionRunArgs.builder().fetch(loss).target(train).build())) {
                    seen[0] = ((TFloat32) r.get(0)).getFloat();
                  }
                });
        lastLoss = seen[0];
        assertThat(s.shouldStop()).isTrue();
      }
      assertThat(steps).isEqualTo(50);
      assertThat(lastLoss).isLessThan(0.05f);
      assertThat(Thread.getAllStackTraces().keySet())
          .noneMatch(t -> t.getName().startsWith("QueueRunnerThread-") && t.isAlive());
    }
  }
}

/**
 * Learning-rate schedules over the global step, as graph ops with TF 1.x's formulas and names:
 * {@link dev.tfmon.schedule.ExponentialDecay}, {@link dev.tfmon.schedule.PiecewiseConstant},
 * {@link dev.tfmon.schedule.PolynomialDecay}, {@link dev.tfmon.schedule.CosineDecay}, {@link
 * dev.tfmon.schedule.CosineDecayRestarts}, {@link dev.tfmon.schedule.InverseTimeDecay}, {@link
 * dev.tfmon.schedule.NaturalExpDecay}, and a {@link dev.tfmon.schedule.LinearWarmup} in front of
 * any of them. {@code TrainOps.minimize(optimizer, learningRate, loss, name)} wires the rate into a
 * tensorflow-framework optimizer.
 *
 * <pre>{@code
 * Ops tf = Ops.create(graph);
 * Operand<TFloat32> loss = ...;
 * Operand<TFloat32> lr = LearningRateSchedule
 *     .cosineDecay(0.05, 20_000, 0.0)
 *     .withLinearWarmup(1_000)
 *     .learningRate(graph);            // global step -> rate, plus summary 'learning_rate'
 * Operation train = TrainOps.minimize(new Momentum(graph, 0f, 0.9f), lr, loss, "train_op");
 * }</pre>
 *
 * <p>Rates equal Python TensorFlow 2.21's {@code tf.compat.v1.train.*_decay} bit for bit (fixtures
 * in {@code src/test/resources/issue12}).
 */
package dev.tfmon.schedule;

/**
 * tensorflow-framework optimizers with their own state updated in order: {@link
 * dev.tfmon.optimizers.OrderedAdam}, {@link dev.tfmon.optimizers.OrderedAdamax} and {@link
 * dev.tfmon.optimizers.OrderedAdaGradDA}, drop-in subclasses with the framework classes'
 * constructors, variables and op names.
 *
 * <p>Why: in tensorflow-framework 1.1.0, Adam and Adamax advance {@code beta1_power} (and {@code
 * beta2_power}) in the same run as the variable updates that read them, and AdaGradDA advances its
 * step counter twice beside the updates that read it, with no control dependency either way. Which
 * value an update reads then depends on thread scheduling: steps differ from TensorFlow 1.x and,
 * for Adam, from one fresh session to the next. The classes here make the state updates wait for
 * every variable update (AdaGradDA: one increment that the updates wait for), as TF 1.x's
 * optimizers do, so each step equals TF 1.x's. {@link dev.tfmon.optimizers.OrderedOptimizers} knows
 * which framework classes race; {@code TrainOps} warns once when handed one of them.
 *
 * <pre>{@code
 * Operation train = TrainOps.minimize(new OrderedAdam(graph, 0.01f), loss, "train_op");
 * }</pre>
 */
package dev.tfmon.optimizers;

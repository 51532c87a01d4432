/**
 * What TF Java's graphs lack and training needs: the {@link dev.tfmon.graph.GlobalStep}, graph
 * collections with TensorFlow's keys ({@link dev.tfmon.graph.GraphCollections}), a finalized flag
 * ({@link dev.tfmon.graph.GraphFinalization}), readiness checks ({@link
 * dev.tfmon.graph.VariableChecks}) and a train op over the trainable variables only ({@link
 * dev.tfmon.graph.TrainOps#minimize}), whose learning rate may be a tensor such as a schedule over
 * the global step.
 *
 * <pre>{@code
 * Operation train = TrainOps.minimize(new GradientDescent(graph, 0.1f), loss, "train_op");
 * }</pre>
 */
package dev.tfmon.graph;

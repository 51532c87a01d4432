/**
 * The graph-side setup a training session needs, {@link dev.tfmon.scaffold.Scaffold}: init op,
 * ready ops, local init op, merged summaries and a saver, created the way TensorFlow 1.x creates
 * them. It sits below both {@code hook} (the checkpoint and summary hooks take its saver and summary
 * op) and {@code session} (which initializes or restores with it).
 *
 * <pre>{@code
 * Scaffold scaffold = Scaffold.builder(graph).build().finalizeScaffold();
 * Saver saver = scaffold.saver();
 * }</pre>
 */
package dev.tfmon.scaffold;

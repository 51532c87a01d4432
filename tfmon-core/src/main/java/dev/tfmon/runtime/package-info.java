/**
 * tfmon's session on TensorFlow's C API, {@link dev.tfmon.runtime.NativeSession}: it takes a
 * {@code grpc://} target, never initializes by itself, and reports every failure with TensorFlow's
 * exact status code as a typed exception. {@link dev.tfmon.runtime.GraphEdits} holds the graph edits
 * TF Java cannot make (an op type's definition, re-pointing an op's input), also on the C API.
 *
 * <pre>{@code
 * try (NativeSession session = NativeSession.open(graph, "grpc://127.0.0.1:2222", null);
 *      RunResult r = session.runner().feed(x, batch).fetch(loss).addTarget(train).run()) {
 *   float value = r.getFloat(loss);
 * }
 * }</pre>
 */
package dev.tfmon.runtime;

/**
 * Child processes for multi-process work: {@link dev.tfmon.process.ChildProcess} starts one (often
 * a JVM on this classpath), reads its output line by line, waits for lines and for its exit, and
 * kills it; {@link dev.tfmon.process.ParentWatch} makes a child die with its parent. Used by the
 * cluster's task processes, the {@code tfmon cluster} command, the benchmarks and the tests.
 *
 * <pre>{@code
 * try (ChildProcess ps = ChildProcess.builder("ps0",
 *         ChildProcess.javaCommand(List.of("-Xmx256m"), TaskServerMain.class.getName(), args))
 *     .start()) {
 *   String ready = ps.awaitLine("READY ", Duration.ofSeconds(60));
 * }   // killed here
 * }</pre>
 */
package dev.tfmon.process;

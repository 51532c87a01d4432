/**
 * Background threads of a training job: the {@link dev.tfmon.coord.Coordinator} (stop requests,
 * the first error, joining with a grace period), {@link dev.tfmon.coord.LooperThread} and {@link
 * dev.tfmon.coord.QueueRunner} (threads that fill TensorFlow queues until they are closed).
 *
 * <pre>{@code
 * Coordinator coord = new Coordinator();
 * List<Thread> threads = QueueRunner.startQueueRunners(session, coord, graph);
 * ...
 * coord.requestStop();
 * coord.join(threads);
 * }</pre>
 */
package dev.tfmon.coord;

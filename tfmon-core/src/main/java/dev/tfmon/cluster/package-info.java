/**
 * Distributed training on TensorFlow's own gRPC runtime, supervised the TF 1.x way (issue #7).
 *
 * <p>The pieces:
 *
 * <ul>
 *   <li>{@link dev.tfmon.cluster.ClusterSpec}: job names to task addresses, from code, JSON (a file
 *       or text), the compact {@code ps=h:p;worker=h:p,h:p} form, or {@link
 *       dev.tfmon.cluster.TfConfig} ({@code TF_CONFIG}); {@code toServerDef(job, task)};
 *   <li>{@link dev.tfmon.cluster.TaskServer}: one task served in this process ({@code
 *       org.tensorflow.Server}); {@link dev.tfmon.cluster.TaskServerMain} runs one as a program;
 *   <li>{@link dev.tfmon.cluster.ReplicaDeviceSetter}: variables round-robin over the ps tasks,
 *       computation on the worker, device filters for each worker's sessions; any
 *       tensorflow-framework optimizer's slots and shared state follow the variables ({@code
 *       TrainOps.minimize} places them);
 *   <li>{@link dev.tfmon.cluster.LocalCluster}: N ps + M worker processes on loopback ports (one
 *       address per task if wished);
 *   <li>{@link dev.tfmon.cluster.SyncReplicas}: synchronous replicas (TF 1.x's {@code
 *       SyncReplicasOptimizer}): gradient accumulators on the ps tasks, a token queue, the chief's
 *       queue runner and a hook; backup workers.
 * </ul>
 *
 * <p>{@code TF_CONFIG}'s task types: {@code ps}, {@code worker}, {@code chief} (with a chief job,
 * its task 0 is the chief and computes on {@code /job:chief/task:0}: {@code
 * ReplicaDeviceSetter.forCluster(spec, "ps", "chief")}) and {@code evaluator}, which is not in the
 * cluster ({@link dev.tfmon.cluster.TfConfig#isClusterMember()}). TensorFlow's servers listen on
 * every interface and have no authentication (see {@link dev.tfmon.cluster.TaskServer}).
 *
 * <p>A worker program (between-graph replication: every worker builds the same graph), with
 * {@code TF_CONFIG} set for its task and {@code dir} the shared model directory (the test sources'
 * {@code WorkerProgramExample} runs it as it stands):
 *
 * <pre>{@code
 * TfConfig me = TfConfig.fromEnvironment().orElseThrow(() -> new IllegalStateException("TF_CONFIG is not set"));
 * TaskServer server = TaskServer.start(me.cluster(), me.taskType(), me.taskIndex());
 * ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(me.cluster());
 * try (Graph g = new Graph()) {
 *   placement.globalStep(g);                                      // on /job:ps/task:0
 *   Ops tf = placement.workerOps(Ops.create(g), me.taskIndex());  // computation on this worker
 *   Variable<TFloat32> w = placement.variableOps(tf).withName("w").variable(tf.constant(0f)); // next ps task
 *   Operand<TFloat32> loss = tf.withName("loss").math.square(tf.math.sub(w, tf.constant(3f)));
 *   Operation train = TrainOps.minimize(new GradientDescent(g, 0.1f), loss, "train_op");
 *   try (MonitoredSession session = MonitoredTrainingSession.builder(g)
 *           .master(server.target()).isChief(me.isChief())       // the chief initializes or restores
 *           .config(placement.sessionConfig(me.taskIndex()))     // talk to the ps tasks and this worker only
 *           .checkpointDir(dir)                                  // the chief's checkpoints and summaries
 *           .hook(StopAtStepHook.lastStep(100))
 *           .build()) {
 *     session.runUntilStopped(s -> s.run(train));
 *   }
 * }
 * }</pre>
 *
 * <p>The chief initializes the model or restores its newest checkpoint; the other workers poll the
 * ready op until the chief is done (logging "the model is not ready yet, checking again in ...",
 * failing with DEADLINE_EXCEEDED after {@code maxWait}). When a task dies, the sessions that span it fail with
 * UNAVAILABLE (ABORTED if a session outlives the restart); the MonitoredSession's recovery creates
 * new sessions, so the chief restores the latest checkpoint again and the others wait for readiness
 * again. Use a {@code RecoveryPolicy} with a backoff so that retries while a task is down do not
 * spin. Without the device filters of {@link
 * dev.tfmon.cluster.ReplicaDeviceSetter#sessionConfig(int)} a worker's session spans every task of
 * the cluster, so one dead worker would stall every other worker too.
 */
package dev.tfmon.cluster;

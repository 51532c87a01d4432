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
 * <p>A worker program (between-graph replication: every worker builds the same graph):
 *
 * <pre>{@code
 * TfConfig me = TfConfig.fromEnvironment().orElseThrow();
 * TaskServer server = TaskServer.start(me.cluster(), me.taskType(), me.taskIndex());
 * ReplicaDeviceSetter placement = ReplicaDeviceSetter.forCluster(me.cluster());
 * try (Graph g = new Graph()) {
 *   placement.globalStep(g);                                   // on /job:ps/task:0
 *   Ops tf = placement.workerOps(Ops.create(g), me.taskIndex());
 *   var w = placement.variableOps(tf).withName("w").variable(tf.zeros(...)); // next ps task
 *   var loss = ...;                                            // on this worker
 *   Operation train = TrainOps.minimize(new Adam(g, 0.01f), loss, "train_op"); // any optimizer
 *   Scaffold scaffold = Scaffold.of(g);
 *   SessionCreator creator = me.isChief()
 *       ? ChiefSessionCreator.builder(scaffold).master(server.target())
 *           .config(placement.sessionConfig(me.taskIndex())).checkpointDir(dir).build()
 *       : WorkerSessionCreator.builder(scaffold).master(server.target())
 *           .config(placement.sessionConfig(me.taskIndex())).maxWait(Duration.ofMinutes(30)).build();
 *   SessionRunArgs step = SessionRunArgs.builder().target(train).build();
 *   try (MonitoredSession session = MonitoredSession.builder(creator).hooks(...).build()) {
 *     session.runUntilStopped(s -> s.run(step).close());
 *   }
 * }
 * }</pre>
 *
 * <p>The chief initializes the model or restores its newest checkpoint; the other workers poll the
 * ready op until the chief is done (logging "Waiting for model to be ready", failing with
 * DEADLINE_EXCEEDED after {@code maxWait}). When a task dies, the sessions that span it fail with
 * UNAVAILABLE (ABORTED if a session outlives the restart); the MonitoredSession's recovery creates
 * new sessions, so the chief restores the latest checkpoint again and the others wait for readiness
 * again. Use a {@code RecoveryPolicy} with a backoff so that retries while a task is down do not
 * spin. Without the device filters of {@link
 * dev.tfmon.cluster.ReplicaDeviceSetter#sessionConfig(int)} a worker's session spans every task of
 * the cluster, so one dead worker would stall every other worker too.
 */
package dev.tfmon.cluster;

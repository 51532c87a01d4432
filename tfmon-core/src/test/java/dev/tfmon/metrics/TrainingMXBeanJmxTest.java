package dev.tfmon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.testing.FreePorts;
import dev.tfmon.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.rmi.NoSuchObjectException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.types.TInt64;

/**
 * The MXBean seen by a real JMX client: an RMI connector server on a free loopback port in this
 * JVM, a {@link JMXConnector} connecting to it, and a real training loop on another thread.
 */
class TrainingMXBeanJmxTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  // Large enough that the loop is still running whenever the client acts; ends a broken test.
  private static final long SAFETY_STEPS = 2_000_000;

  private static Registry registry;
  private static JMXConnectorServer server;
  private static JMXServiceURL url;

  @TempDir Path dir;

  @BeforeAll
  static void startConnectorServer() throws Exception {
    // Stubs carry this host name; without it they may name an address that is not loopback.
    System.setProperty("java.rmi.server.hostname", "127.0.0.1");
    RMIServerSocketFactory loopback = new LoopbackSockets();
    int port = FreePorts.next();
    registry = LocateRegistry.createRegistry(port, null, loopback);
    url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
    server =
        JMXConnectorServerFactory.newJMXConnectorServer(
            url,
            Map.of(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, loopback),
            ManagementFactory.getPlatformMBeanServer());
    server.start();
  }

  @AfterAll
  static void stopConnectorServer() throws IOException {
    try {
      server.stop();
    } finally {
      try {
        UnicastRemoteObject.unexportObject(registry, true);
      } catch (NoSuchObjectException alreadyGone) {
        // nothing left to release
      }
    }
  }

  /** Binds every RMI server socket of this test to 127.0.0.1 only. */
  static final class LoopbackSockets implements RMIServerSocketFactory {
    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
      return new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof LoopbackSockets;
    }

    @Override
    public int hashCode() {
      return LoopbackSockets.class.hashCode();
    }
  }

  @Test
  void clientReadsAttributesDuringTrainingAndRequestStopEndsCleanlyWithAFinalCheckpoint() throws Exception {
    String prefix = dir.resolve("model.ckpt").toString();
    try (Graph g = new Graph();
        Training training = new Training("jmx-trainer")) {
      Model model = Model.build(g);
      Saver saver = Saver.create(g);
      TrainingMetricsHook metrics =
          TrainingMetricsHook.builder(g, "jmx-stop").saver(saver, prefix).scalar("loss", model.loss()).build();
      ObjectName name = new ObjectName("tfmon:type=Training,name=jmx-stop");
      assertThat(metrics.objectName()).isEqualTo(name);
      Future<Training.Outcome> run = training.start(g, model, metrics, List.of(metrics), SAFETY_STEPS);

      try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
        MBeanServerConnection connection = connector.getMBeanServerConnection();
        Await.until("the MXBean to be registered", DEADLINE, () -> isRegistered(connection, name));
        TrainingMXBean bean = JMX.newMXBeanProxy(connection, name, TrainingMXBean.class);

        long first = Await.until("step 20", DEADLINE, bean::getGlobalStep, s -> s >= 20);
        long later = Await.until("the step to advance", DEADLINE, bean::getGlobalStep, s -> s > first);
        assertThat(later).isGreaterThan(first);
        assertThat(bean.getRunName()).isEqualTo("jmx-stop");
        assertThat(bean.getStepsCompleted()).isGreaterThanOrEqualTo(20);
        assertThat(bean.getStepsPerSecond()).isPositive();
        assertThat(bean.getLastStepDurationMillis()).isPositive();
        assertThat(bean.getSecondsSinceLastStep()).isGreaterThanOrEqualTo(0);
        assertThat(bean.getLastCheckpointStep()).isEqualTo(-1);
        assertThat(bean.getCheckpointAgeSeconds()).isEqualTo(-1);
        assertThat(bean.getCheckpointSaveDurationMillis()).isEqualTo(-1);
        assertThat(bean.getRecoveriesByCode()).isEmpty();
        assertThat(bean.getStalls()).isZero();
        // The hook list: the metrics hook and the test's safety stop (an anonymous Hooks adapter).
        assertThat(bean.getHookTimeMillis()).containsKey("TrainingMetricsHook").hasSize(2);
        // The loss moves from 9 towards 0 as w moves from 0 towards 3.
        assertThat(bean.getScalars()).containsOnlyKeys("loss");
        assertThat(bean.getScalars().get("loss")).isBetween(0.0, 9.0);
        assertThat(bean.isStopRequested()).isFalse();
        // The same attribute read without the proxy, as a generic console does.
        assertThat((Long) connection.getAttribute(name, "GlobalStep")).isGreaterThanOrEqualTo(later);

        bean.requestStop();
        Training.Outcome outcome = run.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        // Ended by the request, not by the safety stop, after at least the steps the client saw.
        assertThat(outcome.loopSteps()).isLessThan(SAFETY_STEPS).isGreaterThan(later);
        assertThat(outcome.finalStep()).isEqualTo(outcome.loopSteps());
        // end() wrote the final checkpoint at the step reached, and unregistered the MXBean.
        assertThat(Checkpoints.latestCheckpoint(dir)).contains(prefix + "-" + outcome.finalStep());
        assertThat(globalStepIn(prefix + "-" + outcome.finalStep())).isEqualTo(outcome.finalStep());
        assertThat(metrics.stats().lastCheckpointStep()).isEqualTo(outcome.finalStep());
        assertThat(connection.isRegistered(name)).isFalse();
      }
    }
  }

  @Test
  void saveCheckpointNowWritesACheckpointAtTheNextStep() throws Exception {
    String prefix = dir.resolve("model.ckpt").toString();
    try (Graph g = new Graph();
        Training training = new Training("jmx-saver")) {
      Model model = Model.build(g);
      Saver saver = Saver.builder(g).maxToKeep(10).build();
      // Every run reads the step, so the attribute bounds the saved step from both sides.
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "jmx-save").saver(saver, prefix).fetchEveryNRuns(1).build();
      ObjectName name = TrainingMetricsHook.objectName("jmx-save");
      Future<Training.Outcome> run = training.start(g, model, metrics, List.of(metrics), SAFETY_STEPS);

      try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
        MBeanServerConnection connection = connector.getMBeanServerConnection();
        Await.until("the MXBean to be registered", DEADLINE, () -> isRegistered(connection, name));
        TrainingMXBean bean = JMX.newMXBeanProxy(connection, name, TrainingMXBean.class);
        long before = Await.until("step 10", DEADLINE, bean::getGlobalStep, s -> s >= 10);
        assertThat(Checkpoints.latestCheckpoint(dir)).isEmpty();

        connection.invoke(name, "saveCheckpointNow", null, null);
        String saved =
            Await.until("a checkpoint", DEADLINE, () -> Checkpoints.latestCheckpoint(dir), Optional::isPresent).get();
        long savedStep = Long.parseLong(saved.substring(saved.lastIndexOf('-') + 1));
        long after = bean.getGlobalStep();

        // Saved at a step boundary after the request: later than the step read before it, and
        // the file's global step is the one in its name.
        assertThat(savedStep).isGreaterThan(before).isLessThanOrEqualTo(after + 1);
        assertThat(globalStepIn(saved)).isEqualTo(savedStep);
        // The state file is written inside the save; the stats are updated right after it.
        Await.until("the stats to record the save", DEADLINE, bean::getLastCheckpointStep, s -> s == savedStep);
        assertThat(bean.getCheckpointSaveDurationMillis()).isPositive();
        assertThat(bean.getCheckpointAgeSeconds()).isGreaterThanOrEqualTo(0);

        bean.requestStop();
        Training.Outcome outcome = run.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(saver.lastCheckpoints()).containsExactly(saved, prefix + "-" + outcome.finalStep());
      }
    }
  }

  @Test
  void saveCheckpointNowWithoutASaverFailsAtTheClientNamingTheFix() throws Exception {
    try (Graph g = new Graph();
        Training training = new Training("jmx-nosaver")) {
      Model model = Model.build(g);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "jmx-no-saver").build();
      ObjectName name = metrics.objectName();
      Future<Training.Outcome> run = training.start(g, model, metrics, List.of(metrics), SAFETY_STEPS);
      try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
        MBeanServerConnection connection = connector.getMBeanServerConnection();
        Await.until("the MXBean to be registered", DEADLINE, () -> isRegistered(connection, name));
        TrainingMXBean bean = JMX.newMXBeanProxy(connection, name, TrainingMXBean.class);
        assertThatThrownBy(bean::saveCheckpointNow)
            .isInstanceOf(IllegalStateException.class)
            .hasMessage(
                "run 'jmx-no-saver' has no saver to save with: build its TrainingMetricsHook with saver(saver, prefix)");
        bean.requestStop();
        run.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(Checkpoints.latestCheckpoint(dir)).isEmpty();
      }
    }
  }

  private static boolean isRegistered(MBeanServerConnection connection, ObjectName name) {
    try {
      return connection.isRegistered(name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long globalStepIn(String checkpoint) {
    try (CheckpointReader reader = CheckpointReader.open(checkpoint);
        TInt64 step = (TInt64) reader.read("global_step")) {
      return step.getLong();
    }
  }
}

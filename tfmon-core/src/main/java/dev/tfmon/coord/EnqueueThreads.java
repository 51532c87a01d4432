package dev.tfmon.coord;

import dev.tfmon.errors.StatusCode;
import dev.tfmon.errors.TensorFlowStatusException;
import dev.tfmon.runtime.GraphNames;
import dev.tfmon.runtime.RunnableSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;

/**
 * The running side of one {@link QueueRunner}: its enqueue threads per session, how they end, and
 * the failures they saw. A runner describes a queue by names; this class runs them.
 */
final class EnqueueThreads {
  private static final Logger LOG = LoggerFactory.getLogger(EnqueueThreads.class);

  private final String queueName;
  private final List<String> enqueueOpNames;
  private final String closeOpName;
  private final String cancelOpName;
  private final Set<StatusCode> queueClosed;
  private final Object lock = new Object();
  private final Map<RunnableSession, Integer> runsPerSession = new WeakHashMap<>();
  private List<Throwable> exceptionsRaised = new ArrayList<>();

  EnqueueThreads(
      String queueName,
      List<String> enqueueOpNames,
      String closeOpName,
      String cancelOpName,
      Set<StatusCode> queueClosed) {
    this.queueName = queueName;
    this.enqueueOpNames = enqueueOpNames;
    this.closeOpName = closeOpName;
    this.cancelOpName = cancelOpName;
    this.queueClosed = queueClosed;
  }

  /** See {@link QueueRunner#exceptionsRaised()}. */
  List<Throwable> exceptionsRaised() {
    synchronized (lock) {
      return List.copyOf(exceptionsRaised);
    }
  }

  /** See {@link QueueRunner#createThreads}. */
  List<Thread> create(RunnableSession session, Coordinator coord, boolean daemon, boolean start) {
    Objects.requireNonNull(session, "session");
    synchronized (lock) {
      Integer live = runsPerSession.get(session);
      if (live != null && live > 0) {
        return List.of();
      }
      runsPerSession.put(session, enqueueOpNames.size());
      exceptionsRaised = new ArrayList<>();
    }
    List<Thread> threads = new ArrayList<>();
    for (String op : enqueueOpNames) {
      threads.add(
          new Thread(
              () -> runEnqueue(session, op, coord), "QueueRunnerThread-" + queueName + "-" + op));
    }
    if (coord != null) {
      threads.add(
          new Thread(
              () -> closeOnStop(session, coord),
              "QueueRunnerThread-" + queueName + "-close_on_stop"));
    }
    for (Thread t : threads) {
      if (coord != null) {
        coord.registerThread(t);
      }
      t.setDaemon(daemon);
      if (start) {
        t.start();
      }
    }
    return threads;
  }

  private void runEnqueue(RunnableSession session, String opName, Coordinator coord) {
    boolean decremented = false;
    try {
      Runnable enqueue = resolve(session, opName);
      while (coord == null || !coord.shouldStop()) {
        try {
          enqueue.run();
        } catch (TensorFlowStatusException e) {
          if (!queueClosed.contains(e.code())) {
            throw e;
          }
          decremented = true;
          if (decrementRuns(session) == 0) {
            runQuietly(session, closeOpName, "close");
          }
          return;
        }
      }
    } catch (RuntimeException e) {
      if (coord != null && coord.shouldStop()) {
        // Expected while stopping: the cancel op makes blocked enqueues fail with CANCELLED, and
        // the coordinator keeps only the first report anyway.
        LOG.debug("QueueRunner {} ({}) ended after the stop: {}", queueName, opName, e.toString());
        return;
      }
      LOG.error("the enqueue thread of queue {} ({}) failed: {}", queueName, opName, e.toString(), e);
      synchronized (lock) {
        exceptionsRaised.add(e);
      }
      if (coord != null) {
        coord.requestStop(e);
      }
    } finally {
      if (!decremented) {
        decrementRuns(session);
      }
    }
  }

  private void closeOnStop(RunnableSession session, Coordinator coord) {
    while (!coord.waitForStop(Duration.ofDays(1))) {
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
    runQuietly(session, cancelOpName, "cancel");
  }

  private int decrementRuns(RunnableSession session) {
    synchronized (lock) {
      int left = runsPerSession.getOrDefault(session, 1) - 1;
      runsPerSession.put(session, left);
      return left;
    }
  }

  private void runQuietly(RunnableSession session, String opName, String role) {
    try {
      session.runner().addTarget(GraphNames.operation(session.graph(), opName)).run().close();
    } catch (RuntimeException e) {
      // The queue may be closed already, or the session gone: neither matters to a closing queue.
      LOG.debug("QueueRunner {}: ignored failure of {} op {}: {}", queueName, role, opName, e.toString());
    }
  }

  /** Resolves once: "op:0" fetches a tensor, "op" runs a target. */
  private Runnable resolve(RunnableSession session, String name) {
    Graph graph = session.graph();
    try {
      if (name.indexOf(':') >= 0) {
        Output<?> tensor = GraphNames.output(graph, name);
        return () -> session.runner().fetch(tensor).run().close();
      }
      GraphOperation op = GraphNames.operation(graph, name);
      return () -> session.runner().addTarget(op).run().close();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the enqueue op '" + name + "' of queue runner '" + queueName
              + "' names an Operation not in the graph of the session: " + e.getMessage(),
          e);
    }
  }
}

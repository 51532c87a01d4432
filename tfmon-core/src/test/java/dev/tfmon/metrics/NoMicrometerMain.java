package dev.tfmon.metrics;

import dev.tfmon.hook.Hooks;
import dev.tfmon.session.MonitoredSession;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import javax.management.MBeanServer;
import org.tensorflow.Graph;

/**
 * Trains a few steps with the MXBean hook and the watchdog in a JVM without Micrometer on the
 * classpath, reading the MXBean through the platform MBean server. Prints what it saw.
 */
public final class NoMicrometerMain {
  private NoMicrometerMain() {}

  public static void main(String[] args) throws Exception {
    try {
      Class.forName("io.micrometer.core.instrument.MeterRegistry");
      System.out.println("MICROMETER_PRESENT");
      System.exit(2);
    } catch (ClassNotFoundException expected) {
      System.out.println("NO_MICROMETER");
    }
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    try (Graph g = new Graph()) {
      Model model = Model.build(g);
      TrainingMetricsHook metrics = TrainingMetricsHook.builder(g, "no-micrometer").build();
      long[] runs = {0};
      try (StallWatchdog watchdog =
              StallWatchdog.builder().stallTimeout(Duration.ofMinutes(1)).stats(metrics.stats()).build();
          TrainingMetricsHook closeMetrics = metrics;
          MonitoredSession s =
              MonitoredSession.builder(g)
                  .hook(watchdog)
                  .hook(metrics)
                  .hook(
                      Hooks.afterRun(
                          (ctx, v) -> {
                            if (++runs[0] == 3) {
                              try {
                                System.out.println("STEPS_COMPLETED " + server.getAttribute(metrics.objectName(), "StepsCompleted"));
                                server.invoke(metrics.objectName(), "requestStop", null, null);
                              } catch (Exception e) {
                                throw new IllegalStateException(e);
                              }
                            }
                          }))
                  .recoveryListener(metrics.stats())
                  .build()) {
        System.out.println("LOOP_STEPS " + s.runUntilStopped(x -> x.runner().addTarget(model.trainOp()).run().close()));
      }
      System.out.println("REGISTERED_AFTER_CLOSE " + server.isRegistered(metrics.objectName()));
    }
    // issue 17: /metrics with a plain exposition needs no Micrometer either
    try (MetricsHttpServer http = MetricsHttpServer.builder().port(0)
        .exposition(MetricsHttpServer.Exposition.prometheusText(() -> "up 1\n")).start()) {
      java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(http.url())).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      System.out.println("SCRAPED " + r.body().strip());
    }
  }
}

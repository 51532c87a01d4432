package dev.tfmon.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM and process meters a training job's dashboard wants beside {@link TrainingMeters}, from
 * Micrometer's own binders: heap and non-heap memory and buffer pools ({@code jvm_memory_*},
 * {@code jvm_buffer_*}), garbage collection pauses ({@code jvm_gc_*}), threads ({@code
 * jvm_threads_*}), loaded classes, CPU use ({@code process_cpu_usage}, {@code system_cpu_usage},
 * {@code system_load_average_1m}), uptime and open file descriptors. TensorFlow's own native memory
 * is not in the JVM's figures: watch the process's resident size from outside.
 *
 * <pre>{@code
 * try (JvmMeters jvm = new JvmMeters()) {
 *   jvm.bindTo(registry);
 *   ...
 * }
 * }</pre>
 */
public final class JvmMeters implements MeterBinder, AutoCloseable {
  private final List<JvmGcMetrics> gcMetrics = new ArrayList<>();

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    // The GC binder listens to the JVM's GC notifications until it is closed.
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    gcMetrics.add(gc);
  }

  /** Stops listening to garbage collections. Safe to call twice. */
  @Override
  public synchronized void close() {
    gcMetrics.forEach(JvmGcMetrics::close);
    gcMetrics.clear();
  }
}

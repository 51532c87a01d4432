package dev.tfmon.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What this build of tfmon is: its version and the TensorFlow Java version it was built against,
 * written into a resource by the Maven build (unlike a manifest's {@code Implementation-Version},
 * it is there in tests run from {@code target/classes} and in a shaded jar too). The CLI's {@code
 * tfmon -V} prints the same.
 *
 * <pre>{@code
 * log.info("tfmon {} on TensorFlow Java {} (TensorFlow {})",
 *     Tfmon.version(), Tfmon.tensorFlowJavaVersion(), org.tensorflow.TensorFlow.version());
 * }</pre>
 */
public final class Tfmon {
  private static final Properties BUILD = load();

  private Tfmon() {}

  /** tfmon's version, e.g. {@code 0.1.0} or {@code 0.2.0-SNAPSHOT}; {@code unknown} if the build left none. */
  public static String version() {
    return BUILD.getProperty("version", "unknown");
  }

  /** The TensorFlow Java version tfmon was built and tested against, e.g. {@code 1.1.0}. */
  public static String tensorFlowJavaVersion() {
    return BUILD.getProperty("tensorflow.java.version", "unknown");
  }

  // "unknown" rather than an error: a missing version must not stop a training job (a build
  // outside Maven, e.g. an IDE that does not filter resources).
  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = Tfmon.class.getResourceAsStream("tfmon-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tfmon-version.properties: " + e.getMessage(), e);
    }
    for (String key : p.stringPropertyNames()) {
      if (p.getProperty(key).startsWith("${")) {
        p.remove(key);
      }
    }
    return p;
  }
}

package dev.tfmon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Micrometer is optional: the MXBean hook, the watchdog and the /metrics server work in a JVM that
 * lacks it.
 */
@Tag("multiprocess")
class WithoutMicrometerTest {
  @TempDir Path dir;

  @Test
  void mxBeanAndWatchdogWorkWithoutMicrometerOnTheClasspath() throws Exception {
    String full = System.getProperty("java.class.path");
    String withoutMicrometer =
        Arrays.stream(full.split(File.pathSeparator))
            .filter(entry -> !entry.contains(File.separator + "micrometer"))
            .collect(Collectors.joining(File.pathSeparator));
    assertThat(withoutMicrometer).as("the filtered classpath").isNotEqualTo(full);
    Path out = dir.resolve("child.log");
    Process child =
        new ProcessBuilder(
                List.of(
                    Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m",
                    "-XX:+UseSerialGC",
                    "-cp",
                    withoutMicrometer,
                    NoMicrometerMain.class.getName()))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      boolean ended = child.waitFor(120, TimeUnit.SECONDS);
      String transcript = Files.readString(out);
      assertThat(ended).as("child ended in time; output:\n%s", transcript).isTrue();
      assertThat(child.exitValue()).as("exit code; output:\n%s", transcript).isZero();
      // Asked during run 3 after the metrics hook's afterRun, the stop lands at the next boundary.
      List<String> lines = transcript.lines().collect(Collectors.toList());
      assertThat(lines).contains("NO_MICROMETER", "STEPS_COMPLETED 3", "LOOP_STEPS 4", "REGISTERED_AFTER_CLOSE false", "SCRAPED up 1");
    } finally {
      child.destroyForcibly();
    }
  }
}

package dev.tfmon.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.testing.RepoFiles;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The library knows its build's version (issue 17: a version string from the build). */
class TfmonVersionTest {
  // issue 17: Tfmon.version() is the version Maven built, the one `tfmon -V` prints
  @Test
  void versionIsTheProjectVersionOfThisBuild() throws Exception {
    String pom = Files.readString(RepoFiles.find("pom.xml"));
    Matcher parentVersion = Pattern.compile("<artifactId>tfmon-parent</artifactId>\\s*<version>([^<]+)</version>")
        .matcher(pom);
    assertThat(parentVersion.find()).as("tfmon-core's pom names its parent's version").isTrue();
    assertThat(Tfmon.version()).isEqualTo(parentVersion.group(1)).doesNotContain("${");
  }

  // issue 17: the TensorFlow Java version tfmon was built against is the one on the classpath
  @Test
  void tensorFlowJavaVersionIsTheOneOnTheClasspath() {
    String api = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(p -> Path.of(p).getFileName().toString())
        .filter(n -> n.startsWith("tensorflow-core-api-") && n.endsWith(".jar"))
        .findFirst().orElseThrow();
    assertThat(api).isEqualTo("tensorflow-core-api-" + Tfmon.tensorFlowJavaVersion() + ".jar");
    assertThat(Tfmon.tensorFlowJavaVersion()).matches("\\d+\\.\\d+\\.\\d+.*");
  }
}

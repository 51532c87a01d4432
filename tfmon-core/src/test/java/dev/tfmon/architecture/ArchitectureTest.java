package dev.tfmon.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.testing.RepoFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * tfmon-core's dependencies point one way (issue 15, item 1): no package cycle, TF Java's internal
 * packages used only in {@code runtime/} and {@code org.tensorflow.TfmonBridge}, and every reference
 * pointing down the layer diagram of docs/ARCHITECTURE.md, which places every package.
 */
class ArchitectureTest {
  private static final ImportGraph MAIN = ImportGraph.scan(Path.of("src/main/java"));

  @Test
  void noPackageCycle() {
    List<String> described = new ArrayList<>();
    for (List<String> cycle : MAIN.cycles()) {
      StringBuilder why = new StringBuilder(String.join(" <-> ", cycle)).append(":");
      for (String from : cycle) {
        for (String to : cycle) {
          ImportGraph.Where w = MAIN.firstReference(from, to);
          if (w != null) {
            why.append(" ").append(from).append(" -> ").append(to).append(" at ").append(w).append(";");
          }
        }
      }
      described.add(why.toString());
    }
    assertThat(described).as("package cycles in tfmon-core").isEmpty();
  }

  @Test
  void tensorflowInternalsOnlyInRuntimeAndTheBridge() {
    List<String> outside =
        MAIN.referencesTo("org.tensorflow.internal").stream()
            .filter(w -> !w.file().startsWith("dev/tfmon/runtime/"))
            .filter(w -> !w.file().equals("org/tensorflow/TfmonBridge.java"))
            .map(ImportGraph.Where::toString)
            .distinct()
            .toList();
    assertThat(outside).as("uses of org.tensorflow.internal outside runtime/ and TfmonBridge").isEmpty();
    // The rule must have something to hold: runtime does use the C API.
    assertThat(MAIN.referencesTo("org.tensorflow.internal")).isNotEmpty();
  }

  @Test
  void referencesPointDownTheArchitectureMap() throws IOException {
    LayerMap map = LayerMap.parse(Files.readString(RepoFiles.find("docs/ARCHITECTURE.md")));
    assertThat(map.unplaced(MAIN)).as("packages missing from the diagram of docs/ARCHITECTURE.md").isEmpty();
    assertThat(map.violations(MAIN)).as("references against the diagram of docs/ARCHITECTURE.md").isEmpty();
  }
}

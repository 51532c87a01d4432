package dev.tfmon.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scanner and the map of {@link ArchitectureTest} catch what they are meant to catch. */
class ImportGraphTest {
  @TempDir Path src;

  private void write(String path, String code) throws IOException {
    Path file = src.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, code);
  }

  @Test
  void findsACycleThroughAnImportAndAFullyQualifiedName() throws IOException {
    write("dev/tfmon/a/A.java", "package dev.tfmon.a;\nimport dev.tfmon.b.B;\nclass A { B b; }\n");
    write("dev/tfmon/b/B.java", "package dev.tfmon.b;\nclass B {\n  Object x = new dev.tfmon.c.C();\n}\n");
    write("dev/tfmon/c/C.java", "package dev.tfmon.c;\nclass C { dev.tfmon.a.A a; }\n");
    write("dev/tfmon/d/D.java", "package dev.tfmon.d;\nimport dev.tfmon.a.A;\nclass D {}\n");

    ImportGraph g = ImportGraph.scan(src);

    assertThat(g.cycles()).containsExactly(List.of("dev.tfmon.a", "dev.tfmon.b", "dev.tfmon.c"));
    assertThat(g.firstReference("dev.tfmon.b", "dev.tfmon.c"))
        .hasToString(Path.of("dev/tfmon/b/B.java") + ":3");
  }

  @Test
  void commentsAndStringsAreNoDependency() throws IOException {
    write(
        "dev/tfmon/a/A.java",
        "package dev.tfmon.a;\n/** See {@link dev.tfmon.b.B}. */\nclass A {\n"
            + "  // dev.tfmon.b.B too\n  String s = \"dev.tfmon.b.B and org.tensorflow.internal.X\";\n}\n");
    write("dev/tfmon/b/B.java", "package dev.tfmon.b;\nimport dev.tfmon.a.A;\nclass B {}\n");

    ImportGraph g = ImportGraph.scan(src);

    assertThat(g.cycles()).isEmpty();
    assertThat(g.referencesTo("org.tensorflow.internal")).isEmpty();
  }

  @Test
  void findsInternalImportsStaticOrNot() throws IOException {
    write(
        "dev/tfmon/a/A.java",
        "package dev.tfmon.a;\nimport static org.tensorflow.internal.c_api.global.tensorflow.TF_Foo;\n"
            + "import org.tensorflow.internal.types.registry.TensorTypeRegistry;\nclass A {}\n");

    assertThat(ImportGraph.scan(src).referencesTo("org.tensorflow.internal"))
        .extracting(ImportGraph.Where::line)
        .containsExactly(2, 3);
  }

  @Test
  void theMapRejectsUpwardAndSiblingReferencesAndUnplacedPackages() throws IOException {
    write("dev/tfmon/top/T.java", "package dev.tfmon.top;\nimport dev.tfmon.low.L;\nclass T {}\n");
    write("dev/tfmon/low/L.java", "package dev.tfmon.low;\nimport dev.tfmon.top.T;\nimport dev.tfmon.side.S;\nclass L {}\n");
    write("dev/tfmon/side/S.java", "package dev.tfmon.side;\nclass S {}\n");
    write("dev/tfmon/lost/X.java", "package dev.tfmon.lost;\nclass X {}\n");
    LayerMap map =
        LayerMap.parse("# A\n\n```\n app   the command\n top/        up here\n low/ side/   below\n```\n");

    ImportGraph g = ImportGraph.scan(src);

    assertThat(map.unplaced(g)).containsExactly("dev.tfmon.lost");
    assertThat(map.violations(g))
        .containsExactlyInAnyOrder(
            "dev.tfmon.low refers to dev.tfmon.side (a package on the same row) at "
                + Path.of("dev/tfmon/low/L.java") + ":3",
            "dev.tfmon.low refers to dev.tfmon.top (a package above it) at "
                + Path.of("dev/tfmon/low/L.java") + ":2");
  }

  @Test
  void aMapWithoutPackagesIsAnError() {
    assertThatThrownBy(() -> LayerMap.parse("no diagram here"))
        .hasMessageContaining("no fenced block");
    assertThatThrownBy(() -> LayerMap.parse("```\n top/\n top/\n```"))
        .hasMessageContaining("top/ stands twice");
  }
}

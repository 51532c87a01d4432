package dev.tfmon.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.ImportedMetaGraph;
import dev.tfmon.runtime.NativeSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;

/**
 * Issue 13, atomic exports and keep-N: versions are integer directories renamed into place whole;
 * the keep-N policy deletes only whole, complete exports, oldest version first; leftovers of killed
 * exports are removed by the next export.
 */
class ExportDirectoryTest {
  @TempDir Path tmp;

  @Test
  void keepNDeletesOnlyWholeExportsOldestVersionFirst() throws IOException {
    Path base = tmp.resolve("exports");
    // Things in the base directory that are not complete exports: never touched.
    Files.createDirectories(base.resolve("notes"));
    Files.writeString(base.resolve("notes/todo.txt"), "keep me");
    Files.createDirectories(base.resolve("3/variables"));
    Files.writeString(base.resolve("README"), "exports of the linear model");
    ExportDirectory exports = ExportDirectory.of(base).keep(2);
    try (Graph g = new Graph(); NativeSession session = NativeSession.open(g)) {
      ImportedMetaGraph lr = ExportBadInputTest.linearRef(g);
      lr.saver().orElseThrow().restore(session, ExportBadInputTest.checkpoint());
      SavedModelExporter exporter = ExportBadInputTest.linearExporter(g);

      assertThat(exporter.export(session, exports, 5).deletedVersions()).isEmpty();
      assertThat(exporter.export(session, exports, 10).deletedVersions()).isEmpty();
      assertThat(exporter.export(session, exports, 9).deletedVersions()).containsExactly(5L);
      assertThat(exports.versions()).containsExactly(9L, 10L);
      ExportResult last = exporter.export(session, exports, 100);
      assertThat(last.deletedVersions()).containsExactly(9L);
      assertThat(exports.versions()).containsExactly(10L, 100L);
      assertThat(exports.newest()).contains(base.resolve("100"));
    }
    assertThat(ExportFixtures.listing(base)).containsExactly("10", "100", "3", "README", "notes");
    assertThat(ExportFixtures.listing(base.resolve("3"))).containsExactly("variables");
    assertThat(Files.readString(base.resolve("notes/todo.txt"))).isEqualTo("keep me");
    for (String v : new String[] {"10", "100"}) {
      assertThat(SavedModelExporterTest.files(base.resolve(v))).containsExactly(
          "assets", "saved_model.pb", "variables", "variables/variables.data-00000-of-00001", "variables/variables.index");
    }
  }

  @Test
  void leftoversOfKilledExportsAreRemovedAndNeverListed() throws IOException {
    Path base = tmp.resolve("exports");
    // what a kill during writing, or during the deletion of an old export, leaves
    Files.createDirectories(base.resolve("temp-30-1f/variables"));
    Files.writeString(base.resolve("temp-30-1f/saved_model.pb"), "half");
    Files.createDirectories(base.resolve("deleting-20-2e/variables"));
    ExportDirectory exports = ExportDirectory.of(base);
    assertThat(exports.versions()).isEmpty();
    assertThat(exports.newest()).isEmpty();
    try (Graph g = new Graph()) {
      ImportedMetaGraph lr = ExportBadInputTest.linearRef(g);
      ExportBadInputTest.linearExporter(g).exportCheckpoint(ExportBadInputTest.checkpoint(), lr.saver().orElseThrow(), exports);
    }
    assertThat(ExportFixtures.listing(base)).containsExactly("30");
  }

  @Test
  void emptyVersionDirectoryIsReplacedAndTimestampsAreAboveEveryVersion() throws IOException {
    Path base = tmp.resolve("exports");
    Files.createDirectories(base.resolve("30"));
    ExportDirectory exports = ExportDirectory.of(base);
    try (Graph g = new Graph()) {
      ImportedMetaGraph lr = ExportBadInputTest.linearRef(g);
      ExportResult r = ExportBadInputTest.linearExporter(g)
          .exportCheckpoint(ExportBadInputTest.checkpoint(), lr.saver().orElseThrow(), exports);
      assertThat(r.directory()).isEqualTo(base.resolve("30"));
    }
    assertThat(exports.versions()).containsExactly(30L);
    Clock early = Clock.fixed(Instant.ofEpochSecond(20), ZoneOffset.UTC);
    Clock late = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);
    assertThat(exports.timestampVersion(early)).isEqualTo(31);
    assertThat(exports.timestampVersion(late)).isEqualTo(1_800_000_000L);
    assertThatThrownBy(() -> exports.keep(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected keep >= 0 (0 keeps every export), but got -1");
  }
}

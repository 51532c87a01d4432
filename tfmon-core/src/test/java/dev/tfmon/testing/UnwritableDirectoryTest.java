package dev.tfmon.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "non-writable base directory" of the bad-input tests (issue 13) holds for whoever runs them:
 * creating anything in it fails for this process, and closing it leaves the scratch directory
 * deletable.
 */
class UnwritableDirectoryTest {
  @TempDir Path tmp;

  @Test
  void nothingCanBeCreatedInItAndTheScratchIsWritableAfterwards() throws Exception {
    Path chosen;
    try (UnwritableDirectory unwritable = UnwritableDirectory.create(tmp)) {
      chosen = unwritable.path();
      assertThat(chosen).isDirectory();
      assertThatThrownBy(() -> Files.createDirectory(chosen.resolve("export-1"))).isInstanceOf(FileSystemException.class);
      assertThatThrownBy(() -> Files.createFile(chosen.resolve("model.pb"))).isInstanceOf(FileSystemException.class);
      assertThat(unwritable.entries()).doesNotContain("export-1", "model.pb");
    }
    Files.delete(Files.createDirectory(tmp.resolve("unwritable").resolve("again")));
  }
}

package dev.tfmon.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.runtime.NativeSession;
import dev.tfmon.testing.ChildJvm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;

/**
 * What a model directory holds across runs: state-file paths that survive a copy (issue 11 item 3),
 * orphan checkpoints and leftovers of killed saves (issue 11 item 5), atomic writes (issue 15 item 5).
 */
class ModelDirectoryTest {
  private static final Duration START = Duration.ofSeconds(90);
  @TempDir Path tmp;

  @Test
  @Tag("multiprocess")
  void aCopiedModelDirectoryResumesFromItsOwnCheckpoints() throws Exception {
    // issue 11 item 3: train, cp -r, delete the original, resume the copy
    Path original = tmp.resolve("original");
    long saved;
    try (ChildJvm child = trainer(original)) {
      child.awaitLine("resumed 0 ", START);
      child.awaitLine("saved ", START);
      saved = Long.parseLong(child.awaitLine("saved ", START).substring(6));
      child.kill();
    }
    Path copy = tmp.resolve("copy");
    Process cp = new ProcessBuilder("cp", "-r", original.toString(), copy.toString()).inheritIO().start();
    assertThat(cp.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(cp.exitValue()).isZero();
    assertThat(Files.readString(copy.resolve("checkpoint"))).doesNotContain(original.toString());
    assertThat(Checkpoints.latestCheckpoint(copy)).hasValueSatisfying(p -> assertThat(p).startsWith(copy.toString()));
    List<String> originalFiles = listing(original);
    // the copy resumes from its own checkpoints while the original is still there, and leaves it alone
    try (ChildJvm child = trainer(copy)) {
      String[] resumed = child.awaitLine("resumed ", START).split(" ");
      // (the original may have saved once more between its last line and the kill)
      assertThat(Long.parseLong(resumed[1])).isGreaterThanOrEqualTo(saved);
      assertThat(resumed[3]).isEqualTo(copy.resolve("model.ckpt-" + resumed[1]).toString());
      saved = Long.parseLong(resumed[1]);
      for (int i = 0; i < 4; i++) {
        child.awaitLine("saved ", START);
      }
      child.kill();
    }
    assertThat(listing(original)).isEqualTo(originalFiles);
    deleteTree(original);
    try (ChildJvm child = trainer(copy)) {
      String[] resumed = child.awaitLine("resumed ", START).split(" ");
      assertThat(Long.parseLong(resumed[1])).isGreaterThan(saved);
      assertThat(resumed[3]).startsWith(copy.resolve("model.ckpt-").toString());
      child.kill();
    }
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static ChildJvm trainer(Path dir) {
    return ChildJvm.start("trainer", TrainingChildMain.class, List.of("-Xmx256m"), dir.toString(), "7", "crash");
  }

  @Test
  void anAbsoluteStateFileOfAMovedDirectoryFallsBackToTheCheckpointsBesideIt() throws IOException {
    // issue 11 item 3: state files written with absolute paths (TF's default, or tfmon before)
    Path original = tmp.resolve("original");
    String prefix = original.resolve("model.ckpt").toString();
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 5f);
      Saver saver = Saver.builder(g).saveRelativePaths(false).maxToKeep(2).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        saver.save(s, prefix, 1);
        saver.save(s, prefix, 2);
      }
    }
    assertThat(Files.readString(original.resolve("checkpoint"))).contains("\"" + prefix + "-2\"");
    Path moved = tmp.resolve("moved");
    Files.move(original, moved);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream err = System.err;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      assertThat(Checkpoints.latestCheckpoint(moved)).contains(moved.resolve("model.ckpt-2").toString());
      assertThat(Checkpoints.newestRestorable(moved)).contains(moved.resolve("model.ckpt-2").toString());
      assertThat(Checkpoints.checkpointState(moved).orElseThrow().allModelCheckpointPaths())
          .containsExactly(moved.resolve("model.ckpt-1").toString(), moved.resolve("model.ckpt-2").toString());
    } finally {
      System.setErr(err);
    }
    // said once per state file and path, however often the file is read
    String text = log.toString(StandardCharsets.UTF_8);
    assertThat(text.lines().filter(l -> l.contains(prefix + "-2, which does not exist; using")).count()).isEqualTo(1);
    assertThat(text).contains(moved.resolve("checkpoint") + " names " + prefix + "-2, which does not exist; using "
        + moved.resolve("model.ckpt-2") + " beside it instead");
    // the next save keeps deleting in order, inside the moved directory, and writes relative paths
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 5f);
      Saver saver = Saver.builder(g).maxToKeep(2).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        saver.save(s, moved.resolve("model.ckpt").toString(), 3);
      }
    }
    assertThat(Files.readAllLines(moved.resolve("checkpoint")))
        .startsWith("model_checkpoint_path: \"model.ckpt-3\"", "all_model_checkpoint_paths: \"model.ckpt-2\"",
            "all_model_checkpoint_paths: \"model.ckpt-3\"");
    assertThat(Checkpoints.checkpointExists(moved.resolve("model.ckpt-1").toString())).isFalse();
  }

  @Test
  void orphanCheckpointsAreDeletedAtTheNextSaveAndNothingElseIs() throws IOException {
    // issue 11 item 5: model.ckpt-4 was written, but the process died before the state file listed it
    String prefix = tmp.resolve("model.ckpt").toString();
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).maxToKeep(3).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        for (long step = 1; step <= 3; step++) {
          saver.save(s, prefix, step);
        }
      }
    }
    long now = System.currentTimeMillis();
    copyCheckpoint(prefix + "-3", prefix + "-4");   // the orphan
    copyCheckpoint(prefix + "-3", prefix + "-0");   // older than every listed one: maybe kept for good
    copyCheckpoint(prefix + "-3", prefix + "-99");  // newer than the newest listed after the next save
    copyCheckpoint(prefix + "-3", tmp.resolve("best.ckpt-4").toString());  // another name
    Files.writeString(tmp.resolve("notes.txt"), "not a checkpoint");
    Files.writeString(tmp.resolve("model.ckpt-7.txt"), "not a checkpoint either");
    touch(prefix + "-0", now - 50_000);
    touch(prefix + "-1", now - 40_000);
    touch(prefix + "-2", now - 30_000);
    touch(prefix + "-3", now - 20_000);
    touch(prefix + "-4", now - 10_000);
    touch(tmp.resolve("best.ckpt-4").toString(), now - 10_000);
    touch(prefix + "-99", now + 3_600_000);
    // leftovers of interrupted atomic writes (issue 15 item 5) and of TensorFlow's own
    Files.writeString(tmp.resolve("checkpoint.tmp0123456789abcdef"), "half a state file");
    Files.writeString(tmp.resolve("graph.pbtxt.tmp00112233445566aa"), "half a graph");
    Files.writeString(tmp.resolve("model.ckpt-4.meta.tmpfedcba9876543210"), "half a meta");
    Files.writeString(tmp.resolve("model.ckpt-5.data-00000-of-00001.tempstate123"), "half a shard");
    Files.writeString(tmp.resolve("user.tmp0123456789abcdef"), "someone else's file");

    // a restarted process saves step 5
    try (Graph g = new Graph()) {
      TestModels.scalar(g, "v", 1f);
      Saver saver = Saver.builder(g).maxToKeep(3).build();
      try (NativeSession s = NativeSession.open(g)) {
        TestModels.initialize(s);
        saver.save(s, prefix, 5);
        assertThat(saver.lastCheckpoints()).containsExactly(prefix + "-2", prefix + "-3", prefix + "-5");
      }
    }
    assertThat(names()).containsExactlyInAnyOrder(
        "checkpoint", "notes.txt", "model.ckpt-7.txt", "user.tmp0123456789abcdef",
        "best.ckpt-4.index", "best.ckpt-4.data-00000-of-00001", "best.ckpt-4.meta",
        "model.ckpt-0.index", "model.ckpt-0.data-00000-of-00001", "model.ckpt-0.meta",
        "model.ckpt-2.index", "model.ckpt-2.data-00000-of-00001", "model.ckpt-2.meta",
        "model.ckpt-3.index", "model.ckpt-3.data-00000-of-00001", "model.ckpt-3.meta",
        "model.ckpt-5.index", "model.ckpt-5.data-00000-of-00001", "model.ckpt-5.meta",
        "model.ckpt-99.index", "model.ckpt-99.data-00000-of-00001", "model.ckpt-99.meta");
  }

  @Test
  void atomicWritesReplaceWholeOrNotAtAll() throws IOException {
    // issue 15 item 5: one home for temp-file-then-move writes
    Path file = tmp.resolve("graph.pbtxt");
    AtomicFiles.write(file, "first".getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(file, "second".getBytes(StandardCharsets.UTF_8));
    assertThat(file).hasContent("second");
    assertThatThrownBy(() -> AtomicFiles.write(file, temp -> {
      Files.writeString(temp, "half");
      throw new IOException("disk full");
    })).isInstanceOf(IOException.class).hasMessage("disk full");
    assertThat(file).hasContent("second");
    assertThat(names()).containsExactly("graph.pbtxt");
    assertThat(AtomicFiles.isTemporary("graph.pbtxt.tmp0123456789abcdef")).isTrue();
    assertThat(AtomicFiles.isTemporary("graph.pbtxt.tmp")).isFalse();
  }

  private List<String> names() throws IOException {
    return listing(tmp);
  }

  private static void copyCheckpoint(String from, String to) throws IOException {
    for (String suffix : List.of(".index", ".data-00000-of-00001", ".meta")) {
      Files.copy(Path.of(from + suffix), Path.of(to + suffix));
    }
  }

  private static void touch(String prefix, long millis) throws IOException {
    for (String suffix : List.of(".index", ".data-00000-of-00001", ".meta")) {
      Files.setLastModifiedTime(Path.of(prefix + suffix), FileTime.fromMillis(millis));
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

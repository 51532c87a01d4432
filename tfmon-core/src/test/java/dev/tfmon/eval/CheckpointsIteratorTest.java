package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, the checkpoints iterator in one process, with a fake clock whose sleeps write the next
 * checkpoint (the live child process is in SidecarEvaluationTest): every checkpoint once and in
 * order, or only the newest (TF's mode); the end by timeout, by the "training is over" predicate
 * (after a last look), or at the last step; a checkpoint whose data file is missing waits, and is
 * skipped once the state file drops it.
 */
class CheckpointsIteratorTest {
  @TempDir Path dir;

  private final AtomicLong nanos = new AtomicLong();
  private final List<Runnable> onSleep = new ArrayList<>();

  private CheckpointsIterator.Builder iterator() {
    return CheckpointsIterator.builder(dir).clock(nanos::get, d -> {
      nanos.addAndGet(d.toNanos());
      if (!onSleep.isEmpty()) {
        onSleep.remove(0).run();
      }
    });
  }

  private final List<String> listed = new ArrayList<>();

  private String save(long step) {
    String path = EvalFixtures.saveCheckpoint(dir, new float[] {1f, 1f}, 0f, step);
    // each save has its own saver: write the state file a single saver keeping all would write
    listed.add(path);
    Checkpoints.updateCheckpointState(dir, path, listed, null, 0, false);
    return path;
  }

  @Test
  void yieldsEveryCheckpointOnceInOrderAndEndsAfterTheTimeout() {
    String a = save(1);
    String b = save(2);
    List<String> seen = new ArrayList<>();
    onSleep.add(() -> save(3));
    onSleep.add(() -> { save(4); save(5); });
    for (String p : iterator().timeout(Duration.ofSeconds(5)).build()) {
      seen.add(p);
    }
    assertThat(seen).containsExactly(a, b, dir.resolve("model.ckpt-3").toString(),
        dir.resolve("model.ckpt-4").toString(), dir.resolve("model.ckpt-5").toString());
    // after the last one: no new checkpoint for 5 s of the fake clock
    assertThat(nanos.get()).isGreaterThanOrEqualTo(Duration.ofSeconds(5).toNanos() - Duration.ofSeconds(1).toNanos());
  }

  @Test
  void latestOnlySkipsCheckpointsWrittenBetweenTwoLooks() {
    save(1);
    onSleep.add(() -> { save(2); save(3); });
    List<String> seen = new ArrayList<>();
    iterator().latestOnly(true).timeout(Duration.ofSeconds(3)).build().forEach(seen::add);
    assertThat(seen).containsExactly(dir.resolve("model.ckpt-1").toString(), dir.resolve("model.ckpt-3").toString());
  }

  @Test
  void endsWhenTrainingIsOverAfterALastLook() {
    save(1);
    boolean[] over = {false};
    onSleep.add(() -> {});
    onSleep.add(() -> { save(2); over[0] = true; });   // the final checkpoint, then the trainer exits
    List<String> seen = new ArrayList<>();
    iterator().until(() -> over[0]).build().forEach(seen::add);
    assertThat(seen).containsExactly(dir.resolve("model.ckpt-1").toString(), dir.resolve("model.ckpt-2").toString());
  }

  @Test
  void endsAfterTheLastStep() {
    save(5);
    save(10);
    save(15);
    List<String> seen = new ArrayList<>();
    iterator().lastStep(10).build().forEach(seen::add);
    assertThat(seen).containsExactly(dir.resolve("model.ckpt-5").toString(), dir.resolve("model.ckpt-10").toString());
  }

  @Test
  void anIncompleteCheckpointWaitsAndIsSkippedOnceTheStateFileDropsIt() throws Exception {
    String a = save(1);
    String b = save(2);
    Path data = Path.of(b + ".data-00000-of-00001");
    Path aside = dir.resolve("aside");
    Files.move(data, aside);
    Iterator<String> it = iterator().timeout(Duration.ofSeconds(10)).build().iterator();
    assertThat(it.next()).isEqualTo(a);
    // 2's data file is missing: it is not yielded; when it comes back, it is
    onSleep.add(() -> {});
    onSleep.add(() -> move(aside, data));
    assertThat(it.next()).isEqualTo(b);

    // 3 is listed but its data never appears, and the state file moves on to 4 without it
    String c = save(3);
    Files.delete(Path.of(c + ".data-00000-of-00001"));
    onSleep.add(() -> {
      listed.remove(c);
      save(4);
    });
    assertThat(it.next()).isEqualTo(dir.resolve("model.ckpt-4").toString());
  }

  private static void move(Path from, Path to) {
    try {
      Files.move(from, to);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

package dev.tfmon.hook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.graph.GlobalStep;
import dev.tfmon.session.SingularMonitoredSession;
import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.SummaryWriterCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operation;
import org.tensorflow.proto.Event;

class ProfilerHookTest {
  @TempDir Path dir;

  @AfterEach
  void closeWriters() {
    SummaryWriterCache.clear();
  }

  // BHT-64
  @Test
  void bht64_raiseInBothSecsAndSteps() {
    assertThatThrownBy(() -> ProfilerHook.builder().saveSecs(10).saveSteps(20).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("saveSteps (20) and saveSecs (10.0) are both set: set only one of them");
  }

  // BHT-65
  @Test
  void bht65_raiseInNoneSecsAndSteps() {
    assertThatThrownBy(() -> ProfilerHook.builder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("neither saveSteps nor saveSecs is set: set one of them");
  }

  private long timelines() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("timeline-.*\\.json")).count();
    }
  }

  private void runs(ProfilerHook hook, long[] expectedAfterEachRun) throws IOException {
    try (Graph g = new Graph()) {
      GlobalStep.getOrCreate(g);
      Operation train = GlobalStep.increment(g, 1);
      try (SingularMonitoredSession session = SingularMonitoredSession.builder(g).hook(hook).build()) {
        assertThat(timelines()).isZero();
        for (long expected : expectedAfterEachRun) {
          session.run(train);
          assertThat(timelines()).isEqualTo(expected);
        }
      }
    }
  }

  // BHT-66
  @Test
  void bht66_saveSecsDoesNotSaveInFirstStep() throws IOException {
    runs(ProfilerHook.builder().saveSecs(2).outputDir(dir).build(), new long[] {0});
  }

  // BHT-68
  @Test
  void bht68_saveStepsDoesNotSaveInFirstStep() throws IOException {
    runs(ProfilerHook.builder().saveSteps(1).outputDir(dir).build(), new long[] {0});
  }

  // BHT-69
  @Test
  void bht69_saveStepsSavesPeriodically() throws IOException {
    runs(ProfilerHook.builder().saveSteps(2).outputDir(dir).build(), new long[] {0, 1, 1, 2, 2});
    assertThat(dir.resolve("timeline-2.json")).exists();
    assertThat(dir.resolve("timeline-4.json")).exists();

    // A Chrome trace: traceEvents of complete events with pid, tid, ts and dur in microseconds.
    String json = Files.readString(dir.resolve("timeline-4.json"));
    assertThat(json).startsWith("{\"traceEvents\":[").endsWith("]}\n");
    Matcher x = Pattern.compile("\\{\"name\":\"([^\"]+)\",\"cat\":\"Op\",\"ph\":\"X\",\"pid\":(\\d+),\"tid\":(\\d+),\"ts\":(\\d+),\"dur\":(\\d+),").matcher(json);
    int complete = 0;
    boolean sawAssignAdd = false;
    while (x.find()) {
      complete++;
      sawAssignAdd |= x.group(1).equals("AssignAdd");
      assertThat(Long.parseLong(x.group(4))).isPositive();
    }
    assertThat(complete).isGreaterThan(1);
    assertThat(sawAssignAdd).isTrue();
    assertThat(json).contains("\"ph\":\"M\"").contains("process_name").contains("CPU:0 Compute");
    assertThat(balanced(json)).isTrue();

    SummaryWriterCache.clear();
    List<String> tags = EventFileReader.readDirectory(dir).stream()
        .filter(Event::hasTaggedRunMetadata).map(e -> e.getTaggedRunMetadata().getTag() + "@" + e.getStep()).toList();
    assertThat(tags).containsExactly("step_2@2", "step_4@4");
  }

  /** Brackets and braces outside strings balance: the JSON is at least structurally whole. */
  private static boolean balanced(String json) {
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (--depth < 0) {
          return false;
        }
      }
    }
    return depth == 0 && !inString;
  }
}

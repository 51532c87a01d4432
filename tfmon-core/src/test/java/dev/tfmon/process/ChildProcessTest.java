package dev.tfmon.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one home of child processes (issue 15 item 5): real child JVMs running {@link Child}, which
 * prints what its arguments say and reacts to SIGTERM and to its standard input closing.
 */
@Tag("multiprocess")
class ChildProcessTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  /** The child: {@code lines} mode prints its environment and lines, then waits to be stopped. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      switch (args[0]) {
        case "watch" -> {
          ParentWatch.haltWhenStdinCloses();
          System.out.println("watching");
          System.out.flush();
          Thread.sleep(Long.MAX_VALUE);
        }
        case "lines" -> {
          // a SIGTERM runs this hook: what it prints must still reach the parent
          Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping on SIGTERM");
            System.out.flush();
          }));
          System.out.println("cwd " + Path.of("").toAbsolutePath());
          System.out.println("env " + System.getenv("CHILD_PROCESS_TEST"));
          System.out.println("step 1");
          System.out.println("step 2");
          System.err.println("an error line");
          System.out.println("READY");
          System.out.flush();
          System.err.flush();
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
          Thread.sleep(Long.MAX_VALUE);
        }
        default -> System.exit(Integer.parseInt(args[0]));
      }
    }
  }

  private static List<String> command(String mode) {
    return ChildProcess.javaCommand(List.of("-Xmx64m"), Child.class.getName(), List.of(mode));
  }

  // issue 15 item 5
  @Test
  void linesAreAwaitedInOrderOrAnywhereAndSigtermKeepsThePipesOpen() {
    ChildProcess child =
        ChildProcess.builder("child", command("lines"))
            .directory(dir)
            .environment(Map.of("CHILD_PROCESS_TEST", "set"))
            .separateErrorOutput()
            .start();
    try (child) {
      assertThat(child.awaitLine("READY", WAIT)).isEqualTo("READY");
      // awaitLine skipped the lines before READY for good; awaitPrinted looks at every line
      assertThat(child.awaitPrinted("step ", WAIT)).isEqualTo("step 1");
      assertThat(child.awaitPrinted("env ", WAIT)).isEqualTo("env set");
      assertThat(child.awaitPrinted("cwd ", WAIT)).isEqualTo("cwd " + dir.toAbsolutePath());
      assertThat(child.transcript()).doesNotContain("an error line");
      // standard error has its own reader thread: the line may arrive after READY did
      Await.until("the child's error line", WAIT, () -> !child.errorTranscript().isEmpty());
      assertThat(child.errorTranscript()).containsExactly("an error line");

      child.terminate();
      assertThat(child.awaitExit(WAIT)).isEqualTo(143);
      assertThat(child.transcript()).last().isEqualTo("stopping on SIGTERM");
      assertThatThrownBy(() -> child.awaitLine("never", WAIT))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("child ended its output before a line starting with \"never\"; its output ends with:")
          .hasMessageContaining("stopping on SIGTERM")
          .hasMessageContaining("--- standard error:\nan error line");
    }
    child.close(); // twice is fine
  }

  @Test
  void exitCodesTimeoutsAndKills() {
    try (ChildProcess done = ChildProcess.builder("exits", command("7")).start()) {
      assertThat(done.awaitExit(WAIT)).isEqualTo(7);
      assertThat(done.isAlive()).isFalse();
    }
    try (ChildProcess running = ChildProcess.builder("runs", command("lines")).start()) {
      running.awaitLine("READY", WAIT);
      assertThatThrownBy(() -> running.awaitLine("nothing like this", Duration.ofMillis(200)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("runs printed nothing more within PT0.2S before a line starting with \"nothing like this\"");
      assertThatThrownBy(() -> running.awaitExit(Duration.ofMillis(200)))
          .hasMessageStartingWith("runs (pid " + running.pid() + ") still runs after PT0.2S");
      running.kill();
      assertThat(running.isAlive()).isFalse();
      assertThat(running.process().exitValue()).isEqualTo(137);
    }
    assertThatThrownBy(() -> ChildProcess.builder("empty", List.of()).start())
        .hasMessage("expected a command for empty, but got []");
  }

  // issue 15 item 5: a child whose parent is gone (its standard input closed) halts by itself
  @Test
  void aWatchingChildHaltsWhenItsStandardInputCloses() throws IOException {
    try (ChildProcess child = ChildProcess.builder("watcher", command("watch")).start()) {
      child.awaitLine("watching", WAIT);
      child.process().getOutputStream().close(); // what the parent's death does to the pipe
      assertThat(child.awaitExit(WAIT)).isEqualTo(ParentWatch.PARENT_GONE_STATUS);
    }
  }
}

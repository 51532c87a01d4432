package dev.tfmon.process;

import java.io.IOException;
import java.io.InputStream;

/**
 * For a child process: ends this JVM when its standard input reaches end of file, which happens when
 * the parent that holds the other end of the pipe dies, however it dies (even by SIGKILL, when no
 * shutdown hook of the parent runs). {@link ChildProcess} keeps that pipe open for the life of the
 * child, so children started through it and calling this die with their parent.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   ParentWatch.haltWhenStdinCloses();   // first thing in a child's main
 *   ...
 * }
 * }</pre>
 */
public final class ParentWatch {
  /** The exit status of a child whose parent went away. */
  public static final int PARENT_GONE_STATUS = 3;

  private ParentWatch() {}

  /**
   * Starts a daemon thread that reads standard input to its end, then halts the JVM with status
   * {@value #PARENT_GONE_STATUS}. Halts rather than exits: shutdown hooks could wait on work (a
   * TensorFlow server has no clean shutdown) that no one is left to see.
   */
  public static void haltWhenStdinCloses() {
    haltWhenClosed(System.in);
  }

  static void haltWhenClosed(InputStream in) {
    Thread watcher =
        new Thread(
            () -> {
              try {
                while (in.read() >= 0) {
                  // only the end of the stream matters
                }
              } catch (IOException parentGone) {
                // a broken pipe means the same as the end of the stream
              }
              Runtime.getRuntime().halt(PARENT_GONE_STATUS);
            },
            "parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }
}

package dev.tfmon.cli;

import java.io.File;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Keeps TensorFlow's native INFO lines out of the command's stderr. TensorFlow's C++ runtime
 * writes straight to file descriptor 2 (absl's "WARNING: All log messages before
 * absl::InitializeLog() ..." and {@code I0000 ...} lines print whatever {@code
 * TF_CPP_MIN_LOG_LEVEL} says), so the filter works on the descriptor: fd 2 becomes a pipe read by
 * a small {@code grep} process that drops those lines and passes everything else (native warnings
 * and errors, the JVM's own stderr) to the real stderr, unchanged and in order.
 *
 * <p>The filter is a separate process on purpose: a native fatal error that aborts the JVM right
 * after writing its message still gets that message through. It ignores SIGINT and SIGTERM (a
 * Ctrl-C reaches the whole process group) and ends when the JVM's end closes the pipe; at a normal
 * exit a shutdown hook puts the real stderr back and waits for it to drain.
 *
 * <p>Re-pointing a file descriptor takes the JDK's own native helpers in {@code sun.nio.ch}, which
 * need {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} (the {@code ./tfmon} launcher passes
 * it). Without it, or without {@code grep}, nothing is filtered and nothing else changes.
 *
 * <pre>{@code
 * NativeLogFilter.install();   // first thing in main, before TensorFlow is loaded
 * }</pre>
 */
final class NativeLogFilter {
  /** Native INFO lines: absl's "before InitializeLog" note, absl's and TensorFlow's own INFO format. */
  static final String DROPPED =
      "^(WARNING: All log messages before absl::InitializeLog\\(\\) is called are written to STDERR$"
          + "|I[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]+\\.[0-9]+ +[0-9]+ [^ ]+:[0-9]+\\] "
          + "|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+: I [^ ]+:[0-9]+\\] )";

  private static final Pattern DROPPED_LINE = Pattern.compile(DROPPED);

  private NativeLogFilter() {}

  /** Whether {@code line} is one of the native INFO lines the filter drops. */
  static boolean drops(String line) {
    return DROPPED_LINE.matcher(line).find();
  }

  /** Routes fd 2 through the filter; false (and no change) when that cannot be done here. */
  static boolean install() {
    Method makePipe;
    Method dup2;
    Method closeFd;
    Method setFd;
    try {
      Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
      Class<?> dispatcher = Class.forName("sun.nio.ch.FileDispatcherImpl");
      makePipe = accessible(ioUtil.getDeclaredMethod("makePipe", boolean.class));
      setFd = accessible(ioUtil.getDeclaredMethod("setfdVal", FileDescriptor.class, int.class));
      dup2 = accessible(dispatcher.getDeclaredMethod("dup0", FileDescriptor.class, FileDescriptor.class));
      closeFd = accessible(dispatcher.getDeclaredMethod("closeIntFD", int.class));
    } catch (ReflectiveOperationException | RuntimeException notOpened) {
      return false;
    }
    try {
      // A spare descriptor that keeps the real stderr, for the shutdown hook.
      long spare = (long) makePipe.invoke(null, true);
      int realErr = (int) spare;
      dup2.invoke(null, FileDescriptor.err, fd(setFd, realErr));
      closeFd.invoke(null, (int) (spare >>> 32));

      long pipe = (long) makePipe.invoke(null, true);
      int readEnd = (int) (pipe >>> 32);
      int writeEnd = (int) pipe;
      Process grep;
      try {
        grep = new ProcessBuilder(List.of("sh", "-c", "trap '' INT TERM; exec grep -v --line-buffered -E \"$0\" >&2", DROPPED))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/proc/self/fd/" + readEnd)))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
      } catch (IOException e) {
        closeFd.invoke(null, readEnd);
        closeFd.invoke(null, writeEnd);
        closeFd.invoke(null, realErr);
        return false;
      }
      System.err.flush();
      dup2.invoke(null, fd(setFd, writeEnd), FileDescriptor.err);
      closeFd.invoke(null, writeEnd);
      closeFd.invoke(null, readEnd);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> restore(dup2, setFd, realErr, grep), "tfmon-stderr-restore"));
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /** Puts the real stderr back on fd 2, which ends the filter's input, and lets it finish. */
  private static void restore(Method dup2, Method setFd, int realErr, Process grep) {
    System.out.flush();
    System.err.flush();
    try {
      dup2.invoke(null, fd(setFd, realErr), FileDescriptor.err);
      grep.waitFor(5, TimeUnit.SECONDS);
    } catch (ReflectiveOperationException e) {
      // stderr stays filtered; the filter ends by itself when the JVM is gone
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static FileDescriptor fd(Method setFd, int value) throws ReflectiveOperationException {
    FileDescriptor fd = new FileDescriptor();
    setFd.invoke(null, fd, value);
    return fd;
  }

  private static Method accessible(Method m) {
    m.setAccessible(true);
    return m;
  }
}

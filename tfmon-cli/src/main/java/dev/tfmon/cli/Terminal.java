package dev.tfmon.cli;

import java.io.Console;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * What the command knows of the terminal it prints to: whether standard output is one, and how
 * many columns it has ({@code COLUMNS}, else {@code stty size} on {@code /dev/tty}, else 80),
 * re-read when the window is resized (SIGWINCH).
 *
 * <pre>{@code
 * Terminal t = Terminal.detect();
 * if (t.interactive()) { out.print("\r" + fitTo(line, t.columns())); }
 * }</pre>
 */
final class Terminal {
  static final int DEFAULT_COLUMNS = 80;

  private final boolean interactive;
  private volatile int columns;

  private Terminal(boolean interactive, int columns) {
    this.interactive = interactive;
    this.columns = columns;
  }

  /** A terminal of {@code columns}, or plain output: for tests and callers that know. */
  static Terminal of(boolean interactive, int columns) {
    return new Terminal(interactive, interactive ? columns : 0);
  }

  /** A plain output (a pipe or a file): plain lines, no width. */
  static Terminal plain() {
    return new Terminal(false, 0);
  }

  /** Standard output as it is now. */
  static Terminal detect() {
    if (!isTerminal(System.console())) {
      return plain();
    }
    Terminal t = new Terminal(true, columns(System.getenv()));
    try {
      Signal.handle(new Signal("WINCH"), s -> t.columns = columns(System.getenv()));
    } catch (IllegalArgumentException noSuchSignal) {
      // no resize signal on this platform: the width read at start stays
    }
    return t;
  }

  /**
   * Whether {@code console} is a terminal. JDK 22+ returns a console even when output is piped,
   * so {@code Console.isTerminal()} (JDK 22) is asked where it exists; before it, a console
   * means a terminal.
   */
  static boolean isTerminal(Console console) {
    if (console == null) {
      return false;
    }
    try {
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (boolean) isTerminal.invoke(console);
    } catch (NoSuchMethodException beforeJdk22) {
      return true;
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }

  boolean interactive() {
    return interactive;
  }

  /** The width in columns (0 when not a terminal). */
  int columns() {
    return columns;
  }

  /** {@code COLUMNS} if set, else what {@code stty size} says of /dev/tty, else 80. */
  static int columns(Map<String, String> env) {
    String fromEnv = env.get("COLUMNS");
    if (fromEnv != null) {
      try {
        int c = Integer.parseInt(fromEnv.strip());
        if (c > 0) {
          return c;
        }
      } catch (NumberFormatException ignored) {
        // fall through to stty
      }
    }
    File tty = new File("/dev/tty");
    if (tty.exists()) {
      try {
        Process stty = new ProcessBuilder("stty", "size").redirectInput(tty).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String answer = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (stty.waitFor(2, TimeUnit.SECONDS) && stty.exitValue() == 0) {
          String[] rowsCols = answer.split("\\s+");
          if (rowsCols.length == 2 && Integer.parseInt(rowsCols[1]) > 0) {
            return Integer.parseInt(rowsCols[1]);
          }
        }
      } catch (IOException | NumberFormatException e) {
        // no stty: the default
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return DEFAULT_COLUMNS;
  }
}

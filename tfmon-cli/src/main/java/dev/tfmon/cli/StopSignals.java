package dev.tfmon.cli;

import java.io.PrintStream;
import sun.misc.Signal;

/**
 * Turns SIGINT (Ctrl-C) and SIGTERM (a scheduler preempting the job) into a stop request that the
 * training loop polls between steps, so the final checkpoint is written on the training thread,
 * never concurrently with a step. A second signal exits at once. Unlike a JVM shutdown hook this
 * keeps the JVM alive until the loop has saved and closed everything.
 *
 * <pre>{@code
 * StopSignals signals = StopSignals.install(System.err);
 * while (!signals.stopRequested()) { step(); }
 * }</pre>
 */
final class StopSignals {
  private final PrintStream err;
  private volatile String received;
  private volatile int exitCode;

  private StopSignals(PrintStream err) {
    this.err = err;
  }

  static StopSignals install(PrintStream err) {
    StopSignals s = new StopSignals(err);
    for (String name : new String[] {"INT", "TERM"}) {
      Signal.handle(new Signal(name), s::onSignal);
    }
    return s;
  }

  private void onSignal(Signal signal) {
    int code = 128 + signal.getNumber();
    if (received != null) {
      err.println("tfmon: second SIG" + signal.getName() + ": exiting without waiting for the checkpoint");
      err.flush();
      Runtime.getRuntime().halt(code);
    }
    exitCode = code;
    received = "SIG" + signal.getName();
    err.println("tfmon: " + received + " received: stopping after this step and writing a checkpoint"
        + " (send it again to exit at once)");
    err.flush();
  }

  boolean stopRequested() {
    return received != null;
  }

  /** The signal received ("SIGTERM"), or null. */
  String received() {
    return received;
  }

  /** 128 + the signal's number, as shells report a process ended by it. */
  int exitCode() {
    return exitCode;
  }
}

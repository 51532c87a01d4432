package dev.tfmon.cli;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.summary.EventFileReader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * The lines {@code tfmon train} ends with: how it stopped, the evaluation, the final loss, and
 * (on the chief) the newest checkpoint and event file.
 *
 * <pre>{@code
 * new TrainReport(settings, export, out).print(outcome);
 * }</pre>
 */
final class TrainReport {
  private final TrainSettings settings;
  private final ExportOptions export;
  private final PrintWriter out;

  TrainReport(TrainSettings settings, ExportOptions export, PrintWriter out) {
    this.settings = settings;
    this.export = export;
    this.out = out;
  }

  void print(TrainingRun.Outcome o) {
    long last = settings.lastStep();
    if (o.signal() != null) {
      out.printf("stopped by %s at global step %d%s%n", o.signal(), o.reached(),
          settings.isChief() ? "; checkpoint written" : " (the chief writes the checkpoint)");
    } else if (o.evaluation() != null && o.evaluation().stoppedEarly()) {
      // the early-stopping line below says why
    } else if (o.stoppedThroughJmx()) {
      out.printf("stopped through JMX (requestStop) at global step %d; checkpoint written%n", o.reached());
    } else if (!o.nothingToDo() && (last < 0 || o.reached() < last)
        && (settings.distributed() == null || settings.epochs() != null)) {
      long epochs = settings.epochs() == null ? 0 : settings.epochs();
      out.printf("end of input after %d epoch%s at global step %d%n", epochs, epochs == 1 ? "" : "s", o.reached());
    }
    if (o.evaluation() != null) {
      o.evaluation().report().forEach(out::println);
    }
    if (o.accuracy() != null) {
      out.printf("eval accuracy: %.4f (%d examples)%n", o.accuracy(), o.evalExamples());
    }
    if (!Double.isNaN(o.lastLoss())) {
      out.printf("final loss: %s%n", Progress.loss((float) o.lastLoss()));
    }
    if (settings.isChief()) {
      out.printf("checkpoint:  %s%n", Checkpoints.latestCheckpoint(settings.modelDir()).orElse("(none)"));
      List<Path> events = EventFileReader.eventFiles(settings.modelDir());
      out.printf("event files: %s%s%n", events.isEmpty() ? "(none)" : events.get(events.size() - 1),
          events.size() > 1 ? " (and " + (events.size() - 1) + " earlier)" : "");
    }
    export.report(out, settings.eval() == null ? null : settings.eval().exportBest());
    if (settings.distributed() != null) {
      out.printf("done: %s at global step %d%n", settings.distributed().taskName(), o.finalGlobalStep());
    }
    out.flush();
  }
}

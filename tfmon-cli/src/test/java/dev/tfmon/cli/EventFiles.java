package dev.tfmon.cli;

import dev.tfmon.summary.EventFileWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.HistogramProto;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;

/** Event files for the events/plot tests, written by tfmon's own {@link EventFileWriter}. */
final class EventFiles {
  private EventFiles() {}

  /** Writes {@code events} to a new file {@code events.out.tfevents.<seconds>.test} in {@code dir}. */
  static Path write(Path dir, long seconds, Event... events) {
    Clock clock = Clock.fixed(Instant.ofEpochSecond(seconds), ZoneOffset.UTC);
    try (EventFileWriter writer = EventFileWriter.builder(dir).hostname("test").clock(clock).build()) {
      for (Event e : events) {
        writer.add(e);
      }
      writer.flush();
      return writer.currentFile().orElseThrow();
    }
  }

  /** A scalar at {@code step}, written at wall time 1000 + step seconds. */
  static Event scalar(String tag, long step, double value) {
    return Event.newBuilder().setWallTime(1000 + step).setStep(step)
        .setSummary(Summary.newBuilder().addValue(Summary.Value.newBuilder().setTag(tag).setSimpleValue((float) value)))
        .build();
  }

  static Event histogram(String tag, long step) {
    return Event.newBuilder().setWallTime(1000 + step).setStep(step)
        .setSummary(Summary.newBuilder().addValue(
            Summary.Value.newBuilder().setTag(tag).setHisto(HistogramProto.newBuilder().setNum(2).setMin(-1).setMax(1))))
        .build();
  }

  /** The SessionLog START a training run writes when it (re)starts at {@code step}. */
  static Event start(long step) {
    return Event.newBuilder().setWallTime(1000 + step).setStep(step)
        .setSessionLog(SessionLog.newBuilder().setStatus(SessionLog.SessionStatus.START)).build();
  }
}

package dev.tfmon.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfmon.errors.DataLossException;
import dev.tfmon.errors.StatusCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;

class EventFileReaderTest {
  @TempDir Path tmp;

  /** Writes file_version + steps 1..3 and returns the file and each record's start offset. */
  private Path writeThreeEvents(List<Long> offsets) throws IOException {
    List<Event> events = new ArrayList<>();
    events.add(Event.newBuilder().setWallTime(10).setFileVersion("brain.Event:2").build());
    for (int step = 1; step <= 3; step++) {
      events.add(
          Event.newBuilder()
              .setStep(step)
              .setSummary(
                  Summary.newBuilder()
                      .addValue(Summary.Value.newBuilder().setTag("t").setSimpleValue(step)))
              .build());
    }
    Path file = tmp.resolve("events.out.tfevents.0000000010.h");
    try (var out = Files.newOutputStream(file)) {
      long at = 0;
      for (Event e : events) {
        byte[] record = TfRecords.frame(e.toByteArray());
        offsets.add(at);
        out.write(record);
        at += record.length;
      }
    }
    return file;
  }

  // issue 11 item 1: a corrupt record ends the reading there, as TensorBoard's loader stops at the
  // DATA_LOSS of TensorFlow's record reader; the events before it are kept.
  @Test
  void aFlippedDataByteStopsTheReadingAndKeepsTheEventsBefore() throws IOException {
    List<Long> offsets = new ArrayList<>();
    Path file = writeThreeEvents(offsets);
    byte[] bytes = Files.readAllBytes(file);
    int recordTwo = offsets.get(2).intValue();
    bytes[recordTwo + TfRecords.HEADER_BYTES + 1] ^= 0x40;
    Files.write(file, bytes);
    try (EventFileReader reader = EventFileReader.open(file)) {
      List<Event> events = new ArrayList<>();
      reader.forEach(events::add);
      assertThat(events).extracting(Event::getStep).containsExactly(0L, 1L);
      EventFileReader.UnreadTail tail = reader.unreadTail().orElseThrow();
      assertThat(tail.offset()).isEqualTo(recordTwo);
      assertThat(tail.bytes()).isEqualTo(bytes.length - recordTwo);
      assertThat(tail.truncated()).isFalse();
      assertThat(reader.tornTail()).isFalse();
      assertThat(tail.describe())
          .startsWith("ignored the last " + (bytes.length - recordTwo) + " bytes, from byte offset " + recordTwo
              + ": a corrupt record, data CRC mismatch: stored 0x");
      assertThatThrownBy(reader::checkComplete)
          .isInstanceOf(DataLossException.class)
          .hasMessageStartingWith("DATA_LOSS: " + file + ": ignored the last ")
          .satisfies(e -> assertThat(((DataLossException) e).code()).isEqualTo(StatusCode.DATA_LOSS));
    }
  }

  @Test
  void aFlippedLengthByteStopsTheReadingNamingTheOffset() throws IOException {
    List<Long> offsets = new ArrayList<>();
    Path file = writeThreeEvents(offsets);
    byte[] bytes = Files.readAllBytes(file);
    int recordThree = offsets.get(3).intValue();
    bytes[recordThree] ^= 0x01;
    Files.write(file, bytes);
    assertThat(EventFileReader.readAll(file)).extracting(Event::getStep).containsExactly(0L, 1L, 2L);
    try (EventFileReader reader = EventFileReader.open(file)) {
      reader.forEach(e -> {});
      assertThat(reader.unreadTail().orElseThrow().describe())
          .startsWith("ignored the last " + (bytes.length - recordThree) + " bytes, from byte offset "
              + recordThree + ": a corrupt record, length CRC mismatch");
    }
  }

  // issue 11 item 12: a file that is not an event file at all yields nothing, and says so.
  @Test
  void garbageIsOneUnreadTailFromOffsetZero() throws IOException {
    Path file = tmp.resolve("events.out.tfevents.0000000001.garbage");
    Files.writeString(file, "this is not a TFRecord file, just some text\n".repeat(3));
    try (EventFileReader reader = EventFileReader.open(file)) {
      assertThat(reader.hasNext()).isFalse();
      EventFileReader.UnreadTail tail = reader.unreadTail().orElseThrow();
      assertThat(tail.offset()).isZero();
      assertThat(tail.bytes()).isEqualTo(Files.size(file));
      assertThat(tail.reason()).startsWith("a corrupt record, length CRC mismatch");
    }
    Path empty = Files.createFile(tmp.resolve("events.out.tfevents.0000000002.empty"));
    try (EventFileReader reader = EventFileReader.open(empty)) {
      assertThat(reader.hasNext()).isFalse();
      assertThat(reader.unreadTail()).as("an empty file is complete: it has no records").isEmpty();
    }
  }

  // issue 11 item 1: a cut-off last record (a writer killed mid-write) keeps every complete record
  // before it and says how many bytes were ignored.
  @Test
  void aTornLastRecordEndsTheIterationCleanly() throws IOException {
    List<Long> offsets = new ArrayList<>();
    Path file = writeThreeEvents(offsets);
    byte[] bytes = Files.readAllBytes(file);
    long recordThree = offsets.get(3);
    // Every cut inside the last record: mid-header, mid-data, mid-footer.
    for (long cut = recordThree + 1; cut < bytes.length; cut++) {
      Files.write(file, java.util.Arrays.copyOf(bytes, (int) cut));
      try (EventFileReader reader = EventFileReader.open(file)) {
        List<Event> events = new ArrayList<>();
        reader.forEach(events::add);
        assertThat(events).as("cut at %d", cut).extracting(Event::getStep).containsExactly(0L, 1L, 2L);
        assertThat(reader.tornTail()).as("cut at %d", cut).isTrue();
        assertThat(reader.offset()).as("cut at %d", cut).isEqualTo(cut);
        EventFileReader.UnreadTail tail = reader.unreadTail().orElseThrow();
        assertThat(tail.offset()).isEqualTo(recordThree);
        assertThat(tail.bytes()).as("cut at %d", cut).isEqualTo(cut - recordThree);
        assertThat(tail.reason()).startsWith("a record cut short");
      }
    }
    Files.write(file, bytes);
    try (EventFileReader reader = EventFileReader.open(file)) {
      reader.forEach(e -> {});
      assertThat(reader.tornTail()).isFalse();
      assertThat(reader.unreadTail()).isEmpty();
      reader.checkComplete();
    }
  }

  @Test
  void readsPythonTf1FileWriterOutput() {
    Path file = InteropFiles.singleEventFile("events-tf1");
    List<Event> events = EventFileReader.readAll(file);
    assertThat(events).hasSize(21);
    assertThat(events.get(0).getFileVersion()).isEqualTo("brain.Event:2");
    assertThat(events.get(0).getWallTime()).isEqualTo(1795570598.0);
    assertThat(events.get(1).getWhatCase()).isEqualTo(Event.WhatCase.GRAPH_DEF);
    assertThat(events.get(2).getWhatCase()).isEqualTo(Event.WhatCase.META_GRAPH_DEF);
    assertThat(events.get(3).getSessionLog().getStatus()).isEqualTo(SessionLog.SessionStatus.START);
    assertThat(events.get(20).getSessionLog().getStatus()).isEqualTo(SessionLog.SessionStatus.STOP);
    assertThat(events.get(20).getStep()).isEqualTo(50);
    assertThat(events.get(1).getGraphDef().size()).isEqualTo(13147);
    assertThat(events.get(2).getMetaGraphDef().size()).isEqualTo(16609);

    Summary.Value text = events.get(4).getSummary().getValue(0);
    assertThat(text.getTag()).isEqualTo("run_notes");
    assertThat(text.getMetadata().getPluginData().getPluginName()).isEqualTo("text");
    assertThat(text.getTensor().getStringVal(0).toStringUtf8())
        .isEqualTo("linear regression, 4 features, GradientDescentOptimizer(0.1), 50 steps");

    Map<String, List<ScalarPoint>> scalars = ScalarSeries.byTag(events);
    assertThat(scalars.keySet()).containsExactly("learning_rate", "loss");
    assertThat(scalars.get("loss")).extracting(ScalarPoint::step)
        .containsExactly(0L, 5L, 10L, 15L, 20L, 25L, 30L, 35L, 40L, 45L);
    float[] loss = {12.6091805f, 1.81433725f, 0.398450881f, 0.0992024243f, 0.0253948271f,
        0.00654212106f, 0.00168838259f, 0.000436057046f, 0.000112669608f, 2.91247907e-05f};
    for (int i = 0; i < loss.length; i++) {
      assertThat(scalars.get("loss").get(i).value()).as("loss #%d", i).isEqualTo((double) loss[i]);
      assertThat(scalars.get("learning_rate").get(i).value()).isEqualTo((double) 0.100000001f);
    }

    List<Event> histograms = events.stream()
        .filter(e -> e.hasSummary() && e.getSummary().getValue(0).getTag().equals("w")).toList();
    assertThat(histograms).extracting(Event::getStep).containsExactly(0L, 10L, 20L, 30L, 40L);
    var h10 = histograms.get(1).getSummary().getValue(0).getHisto();
    assertThat(h10.getMin()).isCloseTo(-1.64457464, within(1e-7));
    assertThat(h10.getMax()).isCloseTo(2.32249594, within(1e-7));
    assertThat(h10.getNum()).isEqualTo(4);
    assertThat(h10.getSum()).isCloseTo(2.30174232, within(1e-7));
    assertThat(h10.getSumSquares()).isCloseTo(9.66773158, within(1e-7));
    assertThat(h10.getBucketCount()).isEqualTo(9);
  }

  @Test
  void readsPythonTf1GraphAndMetaGraphEvents() throws Exception {
    List<Event> events = EventFileReader.readAll(InteropFiles.singleEventFile("events-tf1"));
    GraphDef graph = GraphDef.parseFrom(events.get(1).getGraphDef());
    assertThat(graph.getNodeCount()).isEqualTo(82);
    assertThat(graph.getNodeList()).extracting(n -> n.getName())
        .contains("model/w", "model/loss", "model/train_op", "global_step");
    MetaGraphDef meta = MetaGraphDef.parseFrom(events.get(2).getMetaGraphDef());
    assertThat(meta.getGraphDef().getNodeCount()).isEqualTo(82);
  }

  @Test
  void readsPythonTf2TensorSummaries() {
    Path dir = InteropFiles.interop().resolve("events-tf2");
    List<Event> events = EventFileReader.readDirectory(dir);
    assertThat(events).hasSize(23);
    Map<String, List<ScalarPoint>> scalars = ScalarSeries.readDirectory(dir);
    assertThat(scalars.keySet()).as("only the scalars plugin yields scalars").containsExactly("loss");
    List<ScalarPoint> loss = scalars.get("loss");
    assertThat(loss).hasSize(20);
    for (int s = 0; s < 20; s++) {
      assertThat(loss.get(s).step()).isEqualTo(s);
      assertThat(loss.get(s).value()).as("loss at %d", s).isEqualTo((double) (float) (1.0 / (s + 1)));
    }
    Summary.Value weights = events.get(21).getSummary().getValue(0);
    assertThat(weights.getTag()).isEqualTo("weights");
    assertThat(weights.getMetadata().getPluginData().getPluginName()).isEqualTo("histograms");
    assertThat(events.get(21).getStep()).isEqualTo(19);
    Summary.Value notes = events.get(22).getSummary().getValue(0);
    assertThat(notes.getTensor().getStringVal(0).toStringUtf8())
        .isEqualTo("TF2 eager summary writer, 20 scalar points");
  }
}

package dev.tfmon.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.OutOfRangeException;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GlobalStep;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import dev.tfmon.testing.ManualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.data.IteratorGetNext;
import org.tensorflow.op.data.MakeIterator;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;
import org.tensorflow.proto.SummaryMetadata;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

class SummaryWriterTest {
  @TempDir Path tmp;

  @AfterEach
  void clearCache() {
    SummaryWriterCache.clear();
  }

  /**
   * Reads every record of {@code file} with TensorFlow's own TFRecordDataset kernel (an independent
   * reader that checks the framing and both CRCs) and parses each as an Event.
   */
  static List<Event> readWithTensorFlow(Path file) throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      // The V1 kernel: TF 2.18's TFRecordDatasetV2 cannot re-serialize itself (it emits 3 of its
      // 4 inputs) when MakeIterator rewrites the dataset graph, so the V2 op class fails here.
      Output<?> dataset =
          g.opBuilder("TFRecordDataset", "records", tf.scope())
              .addInput(tf.constant(file.toString()).asOutput())
              .addInput(tf.constant("").asOutput())
              .addInput(tf.constant(0L).asOutput())
              .build()
              .output(0);
      var iterator =
          tf.data.iterator("", "", List.of(TString.class), List.of(Shape.scalar()));
      MakeIterator init = tf.data.makeIterator((org.tensorflow.Operand<?>) dataset, iterator);
      IteratorGetNext next =
          tf.data.iteratorGetNext(iterator, List.of(TString.class), List.of(Shape.scalar()));
      List<Event> events = new ArrayList<>();
      try (NativeSession session = NativeSession.open(g)) {
        session.runner().addTarget(init).run().close();
        for (int i = 0; i < 10_000; i++) {
          try (RunResult r = session.runner().fetch(next.components().get(0)).run()) {
            events.add(Event.parseFrom(((TString) r.get(0)).asBytes().getObject()));
          } catch (OutOfRangeException end) {
            return events;
          }
        }
      }
      throw new AssertionError("more than 10000 records in " + file);
    }
  }

  private static Summary.Value textValue(String tag, String text, boolean withMetadata) {
    Summary.Value.Builder v =
        Summary.Value.newBuilder()
            .setTag(tag)
            .setTensor(
                org.tensorflow.proto.TensorProto.newBuilder()
                    .setDtype(org.tensorflow.proto.DataType.DT_STRING)
                    .addStringVal(com.google.protobuf.ByteString.copyFromUtf8(text)));
    if (withMetadata) {
      v.setMetadata(
          SummaryMetadata.newBuilder()
              .setPluginData(SummaryMetadata.PluginData.newBuilder().setPluginName("text")));
    }
    return v.build();
  }

  @Test
  void tensorFlowsOwnTfRecordReaderReadsOurFileExactly_FW1_FW2_FW4() throws Exception {
    ManualClock clock = ManualClock.atSeconds(1_800_000_000.0);
    Path file;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      GlobalStep.getOrCreate(g);
      var x = tf.withName("x").placeholder(TFloat32.class);
      Output<TString> loss = Summaries.scalar(g, "loss", tf.math.mul(x, x));
      try (SummaryWriter writer =
          SummaryWriter.builder(tmp).graph(g).clock(clock).hostname("h").build()) {
        clock.advance(java.time.Duration.ofMillis(250));
        writer.addSessionLog(SessionLogs.start(), 0);
        try (NativeSession session = NativeSession.open(g)) {
          for (int step = 1; step <= 3; step++) {
            try (TFloat32 feed = TFloat32.scalarOf(step);
                RunResult r = session.runner().feed(x, feed).fetch(loss).run()) {
              writer.addSummary(((TString) r.get(0)).asBytes().getObject(), step * 10L);
            }
          }
        }
        writer.addSessionLog(SessionLogs.checkpoint(tmp.resolve("model.ckpt").toString()), 30);
        writer.addSessionLog(SessionLogs.stop());
        writer.flush();
        file = writer.eventFileWriter().currentFile().orElseThrow();
      }
    }
    assertThat(file.getFileName().toString()).isEqualTo("events.out.tfevents.1800000000.h");
    List<Event> events = readWithTensorFlow(file);
    assertThat(events).as("TensorFlow and tfmon read the same events").isEqualTo(EventFileReader.readAll(file));
    assertThat(events).extracting(Event::getWhatCase)
        .containsExactly(
            Event.WhatCase.FILE_VERSION,
            Event.WhatCase.GRAPH_DEF,
            Event.WhatCase.META_GRAPH_DEF,
            Event.WhatCase.SESSION_LOG,
            Event.WhatCase.SUMMARY,
            Event.WhatCase.SUMMARY,
            Event.WhatCase.SUMMARY,
            Event.WhatCase.SESSION_LOG,
            Event.WhatCase.SESSION_LOG);
    assertThat(events.get(0).getFileVersion()).isEqualTo("brain.Event:2");
    assertThat(events.get(0).getWallTime()).isEqualTo(1.8e9);
    assertThat(events.get(1).getStep()).as("graph event without step").isZero();
    assertThat(events.get(3).getWallTime()).isEqualTo(1.8e9 + 0.25);
    assertThat(events.get(3).getSessionLog().getStatus()).isEqualTo(SessionLog.SessionStatus.START);
    assertThat(events.subList(4, 7)).extracting(Event::getStep).containsExactly(10L, 20L, 30L);
    assertThat(events.subList(4, 7))
        .extracting(e -> e.getSummary().getValue(0).getSimpleValue())
        .containsExactly(1f, 4f, 9f);
    assertThat(events.get(7).getSessionLog())
        .isEqualTo(
            SessionLog.newBuilder()
                .setStatus(SessionLog.SessionStatus.CHECKPOINT)
                .setCheckpointPath(tmp.resolve("model.ckpt").toString())
                .build());
    assertThat(events.get(7).getStep()).isEqualTo(30);
    assertThat(events.get(8).getSessionLog().getStatus()).isEqualTo(SessionLog.SessionStatus.STOP);
    assertThat(events.get(8).getStep()).as("no step given").isZero();

    GraphDef graph = GraphDef.parseFrom(events.get(1).getGraphDef());
    NodeDef xNode = graph.getNodeList().stream().filter(n -> n.getName().equals("x")).findFirst().orElseThrow();
    assertThat(xNode.getAttrOrThrow(GraphDefs.OUTPUT_SHAPES_ATTR).getList().getShape(0).getUnknownRank())
        .as("placeholder of unknown shape").isTrue();
    NodeDef step = graph.getNodeList().stream().filter(n -> n.getName().equals("global_step")).findFirst().orElseThrow();
    assertThat(step.getAttrOrThrow(GraphDefs.OUTPUT_SHAPES_ATTR).getList().getShape(0).getDimCount())
        .as("scalar global step").isZero();
    MetaGraphDef meta = MetaGraphDef.parseFrom(events.get(2).getMetaGraphDef());
    assertThat(meta.getGraphDef()).isEqualTo(graph);
    assertThat(meta.getCollectionDefMap()).containsKeys(CollectionKeys.SUMMARIES, CollectionKeys.GLOBAL_STEP);
    assertThat(meta.getMetaInfoDef().getTensorflowVersion()).isNotEmpty();
  }

  @Test
  void onlyTheFirstValueOfATagKeepsItsMetadata_FW3() {
    try (SummaryWriter writer = SummaryWriter.builder(tmp).hostname("h").build()) {
      writer.addSummary(Summary.newBuilder().addValue(textValue("a", "1", true)).build(), 1);
      writer.addSummary(
          Summary.newBuilder()
              .addValue(textValue("a", "2", true))
              .addValue(textValue("b", "3", true))
              .addValue(Summary.Value.newBuilder().setTag("plain").setSimpleValue(1f))
              .build()
              .toByteArray(),
          2);
    }
    List<Event> events = EventFileReader.readDirectory(tmp);
    assertThat(events.get(1).getSummary().getValue(0).hasMetadata()).as("first 'a'").isTrue();
    Summary second = events.get(2).getSummary();
    assertThat(second.getValue(0).hasMetadata()).as("second 'a'").isFalse();
    assertThat(second.getValue(0).getTensor().getStringVal(0).toStringUtf8()).isEqualTo("2");
    assertThat(second.getValue(1).hasMetadata()).as("first 'b'").isTrue();
    assertThat(second.getValue(2)).isEqualTo(Summary.Value.newBuilder().setTag("plain").setSimpleValue(1f).build());
  }

  @Test
  void summaryOpsThroughTheWriterGiveScalarSeries() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class);
      Summaries.scalar(g, "half", tf.math.div(x, tf.constant(2f)));
      Summaries.histogram(g, "hist", x);
      Summaries.text(g, "note", tf.constant("ok"));
      Output<TString> merged = Summaries.mergeAll(g).orElseThrow();
      try (SummaryWriter writer = SummaryWriterCache.get(tmp);
          NativeSession session = NativeSession.open(g)) {
        for (int step = 0; step < 4; step++) {
          try (TFloat32 feed = TFloat32.scalarOf(step);
              RunResult r = session.runner().feed(x, feed).fetch(merged).run()) {
            writer.addSummary(((TString) r.get(0)).asBytes().getObject(), step);
          }
        }
      }
    }
    Map<String, List<ScalarPoint>> series = ScalarSeries.readDirectory(tmp);
    assertThat(series.keySet()).containsExactly("half");
    assertThat(series.get("half")).extracting(ScalarPoint::step).containsExactly(0L, 1L, 2L, 3L);
    assertThat(series.get("half")).extracting(ScalarPoint::value).containsExactly(0.0, 0.5, 1.0, 1.5);
  }

  @Test
  void runMetadataTagsAreSingleUse_FW6() {
    try (SummaryWriter writer = SummaryWriter.builder(tmp).hostname("h").build()) {
      RunMetadata md = RunMetadata.getDefaultInstance();
      writer.addRunMetadata(md, "step1", 1);
      assertThatThrownBy(() -> writer.addRunMetadata(md, "step1", 2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("The provided tag was already used for this event type: 'step1'");
    }
    List<Event> events = EventFileReader.readDirectory(tmp);
    assertThat(events).hasSize(2);
    assertThat(events.get(1).getTaggedRunMetadata().getTag()).isEqualTo("step1");
    assertThat(events.get(1).getStep()).isEqualTo(1);
  }

  @Test
  void addsAfterCloseAreNoOpsUntilReopen_FW7() {
    ManualClock clock = ManualClock.atSeconds(100);
    SummaryWriter writer = SummaryWriter.builder(tmp).clock(clock).hostname("h").build();
    writer.addSessionLog(SessionLogs.start(), 1);
    writer.close();
    writer.close();
    writer.addSessionLog(SessionLogs.stop(), 2);
    writer.addEvent(Event.newBuilder().setStep(3).build());
    assertThat(EventFileReader.readDirectory(tmp)).extracting(Event::getStep).containsExactly(0L, 1L);
    clock.advance(java.time.Duration.ofSeconds(1));
    writer.reopen();
    writer.addEvent(Event.newBuilder().setStep(4).build());
    writer.close();
    assertThat(EventFileReader.eventFiles(tmp)).hasSize(2);
    assertThat(EventFileReader.readDirectory(tmp)).extracting(Event::getStep).containsExactly(0L, 1L, 0L, 4L);
  }

  @Test
  void bytesThatAreNotASummaryAreRejected() {
    try (SummaryWriter writer = SummaryWriter.builder(tmp).hostname("h").build()) {
      assertThatThrownBy(() -> writer.addSummary(new byte[] {(byte) 0xff, 1, 2}, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("expected a serialized Summary, but 3 bytes do not parse");
    }
  }

  @Test
  void cacheSharesOneWriterPerDirectoryUntilCleared_FWC1() {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    SummaryWriter first;
    try (Graph g = new Graph()) {
      Ops.create(g).withName("c").constant(1f);
      first = SummaryWriterCache.get(a, g);
      assertThat(SummaryWriterCache.get(a)).isSameAs(first);
      assertThat(SummaryWriterCache.get(a, g)).isSameAs(first);
      assertThat(SummaryWriterCache.get(b)).isNotSameAs(first);
      assertThat(first.logDir()).isEqualTo(a);
      first.flush();
    }
    assertThat(EventFileReader.readDirectory(a)).extracting(Event::getWhatCase)
        .as("created with the graph: graph and meta-graph events")
        .containsExactly(Event.WhatCase.FILE_VERSION, Event.WhatCase.GRAPH_DEF, Event.WhatCase.META_GRAPH_DEF);
    SummaryWriterCache.clear();
    assertThat(first.isClosed()).as("clear() closes the writers").isTrue();
    SummaryWriter second = SummaryWriterCache.get(a);
    assertThat(second).isNotSameAs(first);
    assertThat(second.isClosed()).isFalse();
  }

  // issue 11 item 1: the cache's writers take TensorFlow's 120 s unless a program chose another interval.
  @Test
  void cacheGivesNewWritersTheChosenFlushInterval() {
    assertThat(SummaryWriterCache.flushSecs()).isEqualTo(120.0);
    SummaryWriter before = SummaryWriterCache.get(tmp.resolve("before"));
    try {
      SummaryWriterCache.setFlushSecs(5);
      assertThat(SummaryWriterCache.get(tmp.resolve("after")).eventFileWriter().flushSecs()).isEqualTo(5.0);
      assertThat(before.eventFileWriter().flushSecs()).as("a cached writer keeps its interval").isEqualTo(120.0);
      assertThatThrownBy(() -> SummaryWriterCache.setFlushSecs(-2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("flushSecs must be a finite number >= 0, but got -2.0");
      assertThat(SummaryWriterCache.flushSecs()).isEqualTo(5.0);
    } finally {
      SummaryWriterCache.setFlushSecs(120);
      SummaryWriterCache.clear();
    }
  }
}

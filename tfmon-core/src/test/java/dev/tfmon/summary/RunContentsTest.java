package dev.tfmon.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.HistogramProto;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;
import org.tensorflow.proto.SummaryMetadata;
import org.tensorflow.proto.TaggedRunMetadata;
import org.tensorflow.proto.TensorProto;

class RunContentsTest {
  @TempDir Path tmp;

  static Event version() {
    return Event.newBuilder().setWallTime(100).setFileVersion(EventFileWriter.FILE_VERSION).build();
  }

  static Event start(long step) {
    return Event.newBuilder().setWallTime(100 + step).setStep(step)
        .setSessionLog(SessionLog.newBuilder().setStatus(SessionLog.SessionStatus.START)).build();
  }

  static Event scalar(String tag, long step, float value) {
    return Event.newBuilder().setWallTime(100 + step).setStep(step)
        .setSummary(Summary.newBuilder().addValue(Summary.Value.newBuilder().setTag(tag).setSimpleValue(value)))
        .build();
  }

  static Event value(long step, Summary.Value.Builder value) {
    return Event.newBuilder().setWallTime(100 + step).setStep(step)
        .setSummary(Summary.newBuilder().addValue(value)).build();
  }

  static Summary.Value.Builder pluginTensor(String tag, String plugin) {
    return Summary.Value.newBuilder().setTag(tag)
        .setMetadata(SummaryMetadata.newBuilder().setPluginData(SummaryMetadata.PluginData.newBuilder().setPluginName(plugin)))
        .setTensor(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).addFloatVal(1f));
  }

  static Path write(Path file, Event... events) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream out = Files.newOutputStream(file)) {
      for (Event e : events) {
        out.write(TfRecords.frame(e.toByteArray()));
      }
    }
    return file;
  }

  // issue 11 item 12: every tag is listed with its kind, from Python's TF1 FileWriter (PROVENANCE.md).
  @Test
  void listsEveryTagOfPythonsTf1FileWithItsKind() {
    RunContents run = RunContents.read(EventRun.find(InteropFiles.interop().resolve("events-tf1")).get(0));
    assertThat(run.run().name()).isEqualTo(".");
    assertThat(run.tags().values())
        .extracting(RunContents.TagInfo::tag, RunContents.TagInfo::kindLabel, RunContents.TagInfo::points,
            RunContents.TagInfo::firstStep, RunContents.TagInfo::lastStep)
        .containsExactly(
            tuple("learning_rate", "scalar", 10, 0L, 45L),
            tuple("loss", "scalar", 10, 0L, 45L),
            tuple("run_notes", "text", 1, 0L, 0L),
            tuple("w", "histogram", 5, 0L, 40L));
    assertThat(run.scalars().keySet()).containsExactly("learning_rate", "loss");
    assertThat(run.scalars().get("loss").get(9).value()).isEqualTo((double) 2.91247907e-05f);
    assertThat(run.restarts()).as("one START: no restart").isEmpty();
    assertThat(run.purgedPoints()).isZero();
    assertThat(run.problems()).isEmpty();
    assertThat(run.files()).singleElement().satisfies(f -> {
      assertThat(f.events()).isEqualTo(21);
      assertThat(f.unreadTail()).isEmpty();
    });
  }

  // issue 11 item 12: TF2's tensor summaries take their kind from the plugin (PROVENANCE.md of events-tf2).
  @Test
  void listsEveryTagOfPythonsTf2FileWithItsKind() {
    RunContents run = RunContents.read(EventRun.find(InteropFiles.interop().resolve("events-tf2")).get(0));
    assertThat(run.tags().values())
        .extracting(RunContents.TagInfo::tag, RunContents.TagInfo::kindLabel, RunContents.TagInfo::plugin,
            RunContents.TagInfo::points, RunContents.TagInfo::firstStep, RunContents.TagInfo::lastStep)
        .containsExactly(
            tuple("loss", "scalar", "scalars", 20, 0L, 19L),
            tuple("notes", "text", "text", 1, 0L, 0L),
            tuple("weights", "histogram", "histograms", 1, 19L, 19L));
    assertThat(run.scalars().get("loss")).extracting(ScalarPoint::value).startsWith(1.0, 0.5);
  }

  // issue 11 item 12: images, audio, other plugins' tensors and run metadata are tags too.
  @Test
  void knowsImageAudioTensorAndRunMetadataTags() throws IOException {
    write(tmp.resolve("events.out.tfevents.0000000100.h"),
        version(),
        value(1, Summary.Value.newBuilder().setTag("input").setImage(Summary.Image.newBuilder().setHeight(2).setWidth(2))),
        value(1, Summary.Value.newBuilder().setTag("voice").setAudio(Summary.Audio.newBuilder().setSampleRate(8000))),
        value(1, pluginTensor("pr", "pr_curves")),
        value(2, pluginTensor("pr", "pr_curves").clearMetadata()),
        value(1, pluginTensor("img2", "images")),
        value(1, Summary.Value.newBuilder().setTag("h").setHisto(HistogramProto.newBuilder().setNum(3))),
        Event.newBuilder().setStep(3).setTaggedRunMetadata(TaggedRunMetadata.newBuilder().setTag("step3")
            .setRunMetadata(RunMetadata.newBuilder().build().toByteString())).build());
    RunContents run = RunContents.read(EventRun.find(tmp).get(0));
    assertThat(run.tags().values())
        .extracting(RunContents.TagInfo::tag, RunContents.TagInfo::kindLabel, RunContents.TagInfo::points)
        .containsExactly(
            tuple("h", "histogram", 1),
            tuple("img2", "image", 1),
            tuple("input", "image", 1),
            tuple("pr", "tensor (pr_curves)", 2),
            tuple("step3", "run_metadata", 1),
            tuple("voice", "audio", 1));
    assertThat(run.scalars()).isEmpty();
  }

  // issue 17 (resume marker) and TensorBoard's purge of orphaned data: a START at step 6 drops the
  // killed attempt's points from step 6 on, and marks a restart.
  @Test
  void aStartAfterTheFirstIsARestartAndPurgesTheOrphanedSteps() throws IOException {
    write(tmp.resolve("events.out.tfevents.0000000100.h"),
        version(), start(1), scalar("loss", 1, 1f), scalar("loss", 4, 4f), scalar("loss", 7, 7f), scalar("loss", 10, 10f));
    write(tmp.resolve("events.out.tfevents.0000000200.h"),
        version(), start(6), scalar("loss", 6, 60f), scalar("loss", 9, 90f), scalar("loss", 12, 120f));
    RunContents run = RunContents.read(EventRun.find(tmp).get(0));
    assertThat(run.scalars().get("loss")).extracting(ScalarPoint::step, ScalarPoint::value)
        .containsExactly(tuple(1L, 1.0), tuple(4L, 4.0), tuple(6L, 60.0), tuple(9L, 90.0), tuple(12L, 120.0));
    assertThat(run.purgedPoints()).isEqualTo(2);
    assertThat(run.restarts()).singleElement().satisfies(r -> {
      assertThat(r.step()).isEqualTo(6);
      assertThat(r.wallTime()).isEqualTo(106.0);
      assertThat(r.file()).isEqualTo(tmp.resolve("events.out.tfevents.0000000200.h"));
    });
    assertThat(run.tags().get("loss").points()).isEqualTo(5);
  }

  // issue 17: without STARTs (TF2 writers), each event file after the first starts a new attempt.
  @Test
  void withoutStartsEachLaterFileIsARestart() throws IOException {
    write(tmp.resolve("events.out.tfevents.0000000100.h.v2"), version(), scalar("loss", 0, 1f), scalar("loss", 1, 2f));
    write(tmp.resolve("events.out.tfevents.0000000200.h.v2"), version(), scalar("loss", 2, 3f));
    RunContents run = RunContents.read(EventRun.find(tmp).get(0));
    assertThat(run.restarts()).extracting(RunContents.Restart::step).containsExactly(2L);
    assertThat(run.purgedPoints()).isZero();
  }

  // issue 11 items 1 and 12: a garbage file is skipped with one line naming it; a cut-off file keeps
  // its complete records; the rest of the run is read.
  @Test
  void aGarbageFileIsSkippedAndATornFileKeepsItsCompleteRecords() throws IOException {
    Path good = write(tmp.resolve("events.out.tfevents.0000000100.h"), version(), scalar("loss", 1, 1f));
    Path garbage = Files.writeString(tmp.resolve("events.out.tfevents.0000000150.h"), "garbage, not records");
    Path torn = write(tmp.resolve("events.out.tfevents.0000000200.h"), version(), scalar("loss", 2, 2f), scalar("loss", 3, 3f));
    byte[] bytes = Files.readAllBytes(torn);
    Files.write(torn, java.util.Arrays.copyOf(bytes, bytes.length - 5));
    RunContents run = RunContents.read(EventRun.find(tmp).get(0));
    assertThat(run.scalars().get("loss")).extracting(ScalarPoint::step).containsExactly(1L, 2L);
    assertThat(run.problems()).hasSize(2);
    assertThat(run.problems().get(0))
        .startsWith("skipped " + garbage + ": not an event file (a corrupt record, length CRC mismatch");
    assertThat(run.problems().get(1))
        .startsWith(torn + ": ignored the last ")
        .contains(": a record cut short, ");
    assertThat(run.files()).extracting(RunContents.FileRead::file, RunContents.FileRead::events)
        .containsExactly(tuple(good, 2), tuple(garbage, 0), tuple(torn, 2));
  }

  // issue 17: a directory of runs is read as TensorBoard's logdir: every directory holding event files.
  @Test
  void findsEveryDirectoryHoldingEventFilesAsARun() throws IOException {
    write(tmp.resolve("events.out.tfevents.0000000100.h"), version());
    write(tmp.resolve("eval/events.out.tfevents.0000000100.h"), version());
    write(tmp.resolve("a/b/events.out.tfevents.0000000100.h"), version());
    write(tmp.resolve("a/b/events.out.tfevents.0000000200.h"), version());
    Files.createDirectories(tmp.resolve("empty/deeper"));
    Files.writeString(tmp.resolve("a/notes.txt"), "not an event file");
    List<EventRun> runs = EventRun.find(tmp);
    assertThat(runs).extracting(EventRun::name).containsExactly(".", "a/b", "eval");
    assertThat(runs.get(1).directory()).isEqualTo(tmp.resolve("a/b"));
    assertThat(runs.get(1).files()).hasSize(2);
  }

  @Test
  void aSingleFileIsARunOfItsOwn() throws IOException {
    Path file = write(tmp.resolve("events.out.tfevents.0000000100.h"), version(), scalar("x", 1, 1f));
    EventRun run = EventRun.ofFile(file);
    assertThat(run.name()).isEqualTo("events.out.tfevents.0000000100.h");
    assertThat(RunContents.read(run).scalars().get("x")).hasSize(1);
  }

  @Test
  void aBadScalarTensorIsSkippedWithALineNamingTheFile() throws IOException {
    Path file = write(tmp.resolve("events.out.tfevents.0000000100.h"),
        version(),
        value(1, pluginTensor("s", "scalars").setTensor(TensorProto.newBuilder().setDtype(DataType.DT_STRING)
            .addStringVal(ByteString.copyFromUtf8("x")))),
        scalar("t", 2, 2f));
    RunContents run = RunContents.read(EventRun.find(tmp).get(0));
    assertThat(run.scalars().keySet()).containsExactly("t");
    assertThat(run.problems()).singleElement().asString()
        .startsWith(file + ": skipped a value: scalar summary 's' at step 1 has dtype DT_STRING");
  }
}

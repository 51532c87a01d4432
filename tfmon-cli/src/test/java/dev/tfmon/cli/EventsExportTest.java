package dev.tfmon.cli;

import static dev.tfmon.cli.EventFiles.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 17: {@code tfmon events --csv / --json}, checked against shared/interop's PROVENANCE.md. */
class EventsExportTest {
  private final Path interop = InteropDir.get();
  @TempDir Path tmp;

  private static List<EventRuns.Named> load(Path... paths) {
    return EventRuns.load(List.of(paths), new PrintWriter(new StringWriter()));
  }

  private static String csv(List<EventRuns.Named> runs, List<String> tags) {
    StringWriter out = new StringWriter();
    EventsExport.csv(runs, tags, new PrintWriter(out, true));
    return out.toString();
  }

  private static JsonNode json(List<EventRuns.Named> runs, List<String> tags) throws Exception {
    StringWriter out = new StringWriter();
    EventsExport.json(runs, tags, new PrintWriter(out, true));
    return new ObjectMapper().readTree(out.toString());
  }

  @Test
  void csvHasOneLinePerScalarPointOfEveryRun() {
    String text = csv(load(interop.resolve("events-tf1"), interop.resolve("events-tf2")), null);
    List<String> lines = text.lines().toList();
    assertThat(lines.get(0)).isEqualTo("run,tag,step,wall_time,value");
    // events-tf1: learning_rate and loss, 10 points each; events-tf2: loss, 20 points.
    assertThat(lines).hasSize(1 + 10 + 10 + 20);
    assertThat(lines.get(1)).isEqualTo("events-tf1,learning_rate,0,1795570598.1350834,0.1");
    assertThat(lines).contains(
        "events-tf1,loss,45,1795570598.1961405,2.912479E-5",
        "events-tf2,loss,2,1795570605.075619,0.33333334",
        "events-tf2,loss,19,1795570605.082264,0.05");
    assertThat(csv(load(interop.resolve("events-tf1")), List.of("loss")).lines().skip(1))
        .hasSize(10)
        .allMatch(l -> l.startsWith("events-tf1,loss,"));
  }

  @Test
  void csvQuotesFieldsAndSpellsOutNonFiniteValues() {
    EventFiles.write(tmp.resolve("run, \"quoted\""), 100, scalar("a,b", 3, Double.NaN), scalar("a,b", 4, Double.NEGATIVE_INFINITY));
    assertThat(csv(load(tmp.resolve("run, \"quoted\"")), null))
        .isEqualTo("run,tag,step,wall_time,value\n"
            + "\"run, \"\"quoted\"\"\",\"a,b\",3,1003.0,NaN\n"
            + "\"run, \"\"quoted\"\"\",\"a,b\",4,1004.0,-Infinity\n");
  }

  @Test
  void jsonHoldsEveryRunWithFilesTagsKindsAndScalars() throws Exception {
    JsonNode doc = json(load(interop.resolve("events-tf1"), interop.resolve("events-tf2")), null);
    JsonNode tf1 = doc.get("runs").get(0);
    assertThat(tf1.get("name").asText()).isEqualTo("events-tf1");
    assertThat(tf1.get("files")).hasSize(1);
    assertThat(tf1.get("files").get(0).get("events").asInt()).isEqualTo(21);
    assertThat(tf1.get("files").get(0).get("ignored_bytes").asLong()).isZero();
    assertThat(tf1.get("files").get(0).get("problem").isNull()).isTrue();
    assertThat(tf1.get("tags")).extracting(t -> t.get("tag").asText() + ":" + t.get("kind").asText() + ":"
            + t.get("points").asInt() + ":" + t.get("first_step").asLong() + ".." + t.get("last_step").asLong())
        .containsExactly("learning_rate:scalar:10:0..45", "loss:scalar:10:0..45", "run_notes:text:1:0..0",
            "w:histogram:5:0..40");
    assertThat(tf1.get("restarts")).isEmpty();
    assertThat(tf1.get("purged_points").asInt()).isZero();
    JsonNode loss = tf1.get("scalars").get("loss");
    assertThat(loss).hasSize(10);
    assertThat(loss.get(0).get("step").asLong()).isZero();
    assertThat((float) loss.get(0).get("value").asDouble()).isEqualTo(12.6091805f);
    assertThat(loss.get(0).get("wall_time").asDouble()).isEqualTo(1795570598.135083, org.assertj.core.api.Assertions.within(1e-6));
    JsonNode tf2 = doc.get("runs").get(1);
    assertThat(tf2.get("tags").get(0).get("plugin").asText()).isEqualTo("scalars");
    assertThat(tf2.get("tags")).extracting(t -> t.get("kind").asText()).containsExactly("scalar", "text", "histogram");
    assertThat(tf2.get("scalars").get("loss").get(19).get("value").asDouble()).isEqualTo(0.05);
  }

  @Test
  void jsonSpellsNonFiniteValuesAsStringsAndNamesDamagedFiles() throws Exception {
    Path torn = EventFiles.write(tmp, 100, scalar("x", 1, Double.POSITIVE_INFINITY), scalar("x", 2, 2));
    java.nio.file.Files.write(torn, java.util.Arrays.copyOf(java.nio.file.Files.readAllBytes(torn),
        (int) java.nio.file.Files.size(torn) - 3));
    JsonNode run = json(load(tmp), null).get("runs").get(0);
    assertThat(run.get("scalars").get("x")).hasSize(1);
    assertThat(run.get("scalars").get("x").get(0).get("value").asText()).isEqualTo("Infinity");
    assertThat(run.get("files").get(0).get("problem").asText()).startsWith("a record cut short, ");
    assertThat(run.get("files").get(0).get("ignored_bytes").asLong()).isPositive();
  }

  @Test
  void jsonEscapesTagsAndNames() throws Exception {
    EventFiles.write(tmp.resolve("run \"q\""), 100, scalar("say \"hi\"\\\n\ttab", 1, 0.5));
    JsonNode run = json(load(tmp.resolve("run \"q\"")), null).get("runs").get(0);
    assertThat(run.get("name").asText()).isEqualTo("run \"q\"");
    assertThat(run.get("scalars").fieldNames().next()).isEqualTo("say \"hi\"\\\n\ttab");
  }
}

package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.eval.metrics.MetricValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, the evaluation ledger: lines round-trip exactly (float32 values, NaN, matrices,
 * relative checkpoint paths); a torn last line (a write cut by a crash) is ignored on read, and the
 * next append cuts it off first, so the file keeps whole lines only.
 */
class EvaluationLedgerTest {
  @TempDir Path modelDir;

  private static EvalResult result(String checkpoint, long step, double loss) {
    Map<String, MetricValue> m = new LinkedHashMap<>();
    m.put("loss", MetricValue.scalar(loss));
    m.put("accuracy", MetricValue.scalar(0.8374999761581421));
    m.put("nan", MetricValue.scalar(Double.NaN));
    m.put("confusion_matrix", MetricValue.of(new long[] {2, 2}, new double[] {180, 33, 32, 155}));
    return new EvalResult(checkpoint, step, Instant.ofEpochMilli(1_796_036_393_250L), m);
  }

  @Test
  void linesRoundTripWithCheckpointsRelativeToTheModelDir() throws Exception {
    EvaluationLedger ledger = EvaluationLedger.forModelDir(modelDir, "");
    String inside = modelDir.resolve("model.ckpt-500").toString();
    EvalResult a = result(inside, 500, 0.1);
    EvalResult b = result("/elsewhere/model.ckpt-9", 9, 1e-7);
    ledger.append(a);
    ledger.append(b);

    assertThat(ledger.read()).containsExactly(a, b);
    assertThat(Files.readAllLines(modelDir.resolve("eval/evaluations.jsonl")).get(0)).isEqualTo(
        "{\"checkpoint\":\"model.ckpt-500\",\"global_step\":500,\"wall_time\":1796036393.250,\"metrics\":"
            + "{\"loss\":0.1,\"accuracy\":0.8374999761581421,\"nan\":\"NaN\",\"confusion_matrix\":"
            + "{\"shape\":[2,2],\"values\":[180,33,32,155]}}}");
  }

  @Test
  void aTornLastLineIsIgnoredAndCutOffByTheNextAppend() throws Exception {
    EvaluationLedger ledger = EvaluationLedger.forModelDir(modelDir, "");
    ledger.append(result(modelDir.resolve("model.ckpt-1").toString(), 1, 0.5));
    Path file = ledger.file();
    // what a crash in the middle of a write leaves: part of a line, no newline
    Files.write(file, "{\"checkpoint\":\"model.ckpt-2\",\"global_st".getBytes(StandardCharsets.UTF_8),
        StandardOpenOption.APPEND);

    assertThat(ledger.read()).extracting(EvalResult::globalStep).containsExactly(1L);

    ledger.append(result(modelDir.resolve("model.ckpt-3").toString(), 3, 0.25));
    assertThat(ledger.read()).extracting(EvalResult::globalStep).containsExactly(1L, 3L);
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("{").endsWith("}}"));
  }

  @Test
  void readUpToKeepsTheLatestRecordOfEachStep() {
    EvaluationLedger ledger = EvaluationLedger.forModelDir(modelDir, "x");
    ledger.append(result(modelDir.resolve("a-10").toString(), 10, 0.5));
    ledger.append(result(modelDir.resolve("a-20").toString(), 20, 0.4));
    ledger.append(result(modelDir.resolve("a-10").toString(), 10, 0.3));
    ledger.append(result(modelDir.resolve("a-30").toString(), 30, 0.2));
    assertThat(ledger.file()).isEqualTo(modelDir.resolve("eval_x").resolve("evaluations.jsonl"));
    assertThat(ledger.readUpTo(20)).extracting(r -> r.scalar("loss")).containsExactly(0.3, 0.4);
  }
}

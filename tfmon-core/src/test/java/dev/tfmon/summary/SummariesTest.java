package dev.tfmon.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.runtime.NativeSession;
import dev.tfmon.runtime.RunResult;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.HistogramProto;
import org.tensorflow.proto.Summary;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

class SummariesTest {

  /** Runs {@code summary} and parses the serialized Summary it outputs. */
  static Summary run(Graph graph, Output<TString> summary) throws Exception {
    try (NativeSession session = NativeSession.open(graph);
        RunResult r = session.runner().fetch(summary).run()) {
      return Summary.parseFrom(((TString) r.get(0)).asBytes().getObject());
    }
  }

  @Test
  void scalarWritesSimpleValueUnderTheExactTag() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Output<TString> s = Summaries.scalar(g, "global_step/sec", tf.constant(3.5f));
      assertThat(s.op().name()).isEqualTo("global_step/sec");
      assertThat(s.op().type()).isEqualTo("ScalarSummary");
      Summary summary = run(g, s);
      assertThat(summary.getValueList())
          .containsExactly(
              Summary.Value.newBuilder().setTag("global_step/sec").setSimpleValue(3.5f).build());
    }
  }

  @Test
  void aRepeatedTagKeepsTheTagAndUniquifiesOnlyTheOpName() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Output<TString> first = Summaries.scalar(g, "loss", tf.constant(1f));
      Output<TString> second = Summaries.scalar(g, "loss", tf.constant(2.0));
      Output<TString> odd = Summaries.scalar(g, "/weird tag:1", tf.constant(7L));
      assertThat(first.op().name()).isEqualTo("loss");
      assertThat(second.op().name()).isEqualTo("loss_1");
      assertThat(odd.op().name()).isEqualTo("weird_tag_1");
      assertThat(run(g, second).getValue(0).getTag()).isEqualTo("loss");
      assertThat(run(g, second).getValue(0).getSimpleValue()).isEqualTo(2f);
      assertThat(run(g, odd).getValue(0).getTag()).isEqualTo("/weird tag:1");
      assertThat(GraphCollections.of(g).get(CollectionKeys.SUMMARIES))
          .as("each summary joins collection 'summaries'")
          .containsExactly(first, second, odd);
    }
  }

  @Test
  void histogramOfFourZerosHasTheBucketsPythonWrote() throws Exception {
    // interop/events-tf1 step 0: w = [0,0,0,0] gave min=0 max=0 num=4 sum=0, 3 buckets.
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Output<TString> s = Summaries.histogram(g, "w", tf.zeros(tf.constant(new int[] {4, 1}), org.tensorflow.types.TFloat32.class));
      HistogramProto h = run(g, s).getValue(0).getHisto();
      assertThat(run(g, s).getValue(0).getTag()).isEqualTo("w");
      assertThat(h.getMin()).isEqualTo(0.0);
      assertThat(h.getMax()).isEqualTo(0.0);
      assertThat(h.getNum()).isEqualTo(4.0);
      assertThat(h.getSum()).isEqualTo(0.0);
      assertThat(h.getSumSquares()).isEqualTo(0.0);
      assertThat(h.getBucketCount()).isEqualTo(3);
      assertThat(h.getBucketLimitCount()).isEqualTo(3);
      assertThat(h.getBucketList().stream().mapToDouble(Double::doubleValue).sum()).isEqualTo(4.0);
    }
  }

  @Test
  void histogramCountsEveryValue() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Output<TString> s =
          Summaries.histogram(g, "v", tf.constant(new float[] {-2f, -1f, 0.5f, 1f, 1f, 100f}));
      HistogramProto h = run(g, s).getValue(0).getHisto();
      assertThat(h.getMin()).isEqualTo(-2.0);
      assertThat(h.getMax()).isEqualTo(100.0);
      assertThat(h.getNum()).isEqualTo(6.0);
      assertThat(h.getSum()).isEqualTo(99.5);
      assertThat(h.getBucketList().stream().mapToDouble(Double::doubleValue).sum()).isEqualTo(6.0);
      assertThat(h.getBucketCount()).isEqualTo(h.getBucketLimitCount());
    }
  }

  @Test
  void imageWritesPngsWithTheirDimensions() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      byte[] pixels = new byte[2 * 4 * 5 * 3];
      Arrays.fill(pixels, (byte) 200);
      var batch = tf.constant(Shape.of(2, 4, 5, 3), org.tensorflow.ndarray.buffer.DataBuffers.of(pixels));
      Output<TString> two = Summaries.image(g, "img", tf.dtypes.cast(batch, TUint8.class));
      Output<TString> one = Summaries.image(g, "single", tf.dtypes.cast(batch, TUint8.class), 1);
      Summary s = run(g, two);
      assertThat(s.getValueList()).extracting(Summary.Value::getTag)
          .containsExactly("img/image/0", "img/image/1");
      for (Summary.Value v : s.getValueList()) {
        assertThat(v.getImage().getHeight()).isEqualTo(4);
        assertThat(v.getImage().getWidth()).isEqualTo(5);
        assertThat(v.getImage().getColorspace()).isEqualTo(3);
        assertThat(v.getImage().getEncodedImageString().substring(1, 4).toStringUtf8())
            .isEqualTo("PNG");
      }
      assertThat(run(g, one).getValueList()).extracting(Summary.Value::getTag)
          .containsExactly("single/image");
      assertThatThrownBy(() -> Summaries.image(g, "x", batch, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxImages must be at least 1, but got 0");
    }
  }

  @Test
  void textIsAStringTensorWithPluginText() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Output<TString> s = Summaries.text(g, "notes", tf.constant("hello, board"));
      assertThat(s.op().type()).isEqualTo("TensorSummaryV2");
      Summary.Value v = run(g, s).getValue(0);
      assertThat(v.getTag()).isEqualTo("notes");
      assertThat(v.getMetadata().getPluginData().getPluginName()).isEqualTo("text");
      assertThat(v.getTensor().getStringVal(0).toStringUtf8()).isEqualTo("hello, board");
    }
  }

  @Test
  void mergeAllMergesTheCollectionInOrderOrIsEmpty() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      assertThat(Summaries.mergeAll(g)).as("no summaries: Python's None").isEmpty();
      Summaries.scalar(g, "a", tf.constant(1f));
      Summaries.text(g, "b", tf.constant("t"));
      Summaries.histogram(g, "c", tf.constant(new float[] {1f, 2f}));
      Output<TString> merged = Summaries.mergeAll(g).orElseThrow();
      assertThat(merged.op().name()).isEqualTo("Merge/MergeSummary");
      assertThat(Summaries.mergeAll(g).orElseThrow().op().name()).isEqualTo("Merge_1/MergeSummary");
      assertThat(run(g, merged).getValueList()).extracting(Summary.Value::getTag)
          .containsExactly("a", "b", "c");
    }
  }

  @Test
  void mergingADuplicateTagFailsAtRunTimeWithInvalidArgument() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Summaries.scalar(g, "dup", tf.constant(1f));
      Summaries.scalar(g, "dup", tf.constant(2f));
      Output<TString> merged = Summaries.mergeAll(g).orElseThrow();
      assertThatThrownBy(() -> run(g, merged))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("Duplicate tag dup found in summary inputs");
    }
  }

  @Test
  void rejectsBadArgumentsNamingThem() {
    try (Graph g = new Graph(); Graph other = new Graph()) {
      var foreign = Ops.create(other).constant(1f);
      assertThatThrownBy(() -> Summaries.scalar(g, "x", foreign))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("belongs to another graph");
      assertThatThrownBy(() -> Summaries.scalar(g, "", Ops.create(g).constant(1f)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("a summary tag must be non-empty");
    }
  }
}

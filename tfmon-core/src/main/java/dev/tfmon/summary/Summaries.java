package dev.tfmon.summary;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.tfmon.graph.CollectionKeys;
import dev.tfmon.graph.DataTypes;
import dev.tfmon.graph.GraphCollections;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SummaryMetadata;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TNumber;

/**
 * TensorFlow 1.x's {@code tf.summary.scalar/histogram/image/text/merge_all} for TF Java graphs,
 * built from TensorFlow's own summary kernels ({@code ScalarSummary}, {@code HistogramSummary},
 * {@code ImageSummary}, {@code TensorSummaryV2}, {@code MergeSummary}). Each op outputs a serialized
 * {@code Summary} (a string scalar) and joins collection {@code summaries}.
 *
 * <pre>{@code
 * Summaries.scalar(graph, "loss", loss);
 * Summaries.histogram(graph, "weights", w);
 * Output<TString> merged = Summaries.mergeAll(graph).orElseThrow();
 * try (RunResult r = session.runner().fetch(merged).run()) {
 *   writer.addSummary(((TString) r.get(0)).asBytes().getObject(), step);
 * }
 * }</pre>
 *
 * <p>Tags are used exactly as given. (TF1 tags a summary with its uniquified name scope, so a
 * second {@code scalar("loss", ...)} is tagged {@code loss_1}; here only the op names are
 * uniquified: op {@code loss_1} still writes tag {@code loss}.) Op names are the tag with characters
 * TensorFlow rejects in names replaced by {@code _}, the tag constant is {@code <op>/tag}.
 */
public final class Summaries {
  /** Plugin name of text summaries. */
  public static final String TEXT_PLUGIN = "text";

  private static final Pattern INVALID_NAME_CHARS = Pattern.compile("[^A-Za-z0-9_./\\-]");

  private Summaries() {}

  /**
   * A {@code Summary} with one {@code simple_value} of {@code value} (a numeric scalar) under {@code
   * tag}.
   */
  public static Output<TString> scalar(Graph graph, String tag, Operand<? extends TNumber> value) {
    return register(graph, build(graph, "ScalarSummary", tag, value, null));
  }

  /**
   * A {@code Summary} with a {@code histo} of all elements of {@code values} under {@code tag}, with
   * TensorFlow's default exponential buckets (only the non-empty range is written).
   */
  public static Output<TString> histogram(
      Graph graph, String tag, Operand<? extends TNumber> values) {
    return register(graph, build(graph, "HistogramSummary", tag, values, null));
  }

  /** {@link #image(Graph, String, Operand, int)} with at most 3 images, TensorFlow's default. */
  public static Output<TString> image(Graph graph, String tag, Operand<? extends TNumber> images) {
    return image(graph, tag, images, 3);
  }

  /**
   * A {@code Summary} with PNG images of the first {@code maxImages} of {@code images} ({@code
   * [batch, height, width, channels]}, channels 1, 3 or 4; uint8, or float in [0, 1] or rescaled as
   * TensorFlow does). Tags are {@code <tag>/image} for one image, else {@code <tag>/image/<i>}.
   */
  public static Output<TString> image(
      Graph graph, String tag, Operand<? extends TNumber> images, int maxImages) {
    if (maxImages < 1) {
      throw new IllegalArgumentException("maxImages must be at least 1, but got " + maxImages);
    }
    return register(
        graph, build(graph, "ImageSummary", tag, images, b -> b.setAttr("max_images", maxImages)));
  }

  /**
   * A {@code Summary} with a string tensor value under {@code tag}, its metadata naming plugin
   * {@code text}, as {@code tf.compat.v1.summary.text} writes it.
   */
  public static Output<TString> text(Graph graph, String tag, Operand<TString> text) {
    checkGraph(graph, text);
    String name = opName(graph, tag);
    Output<TString> tagConst = stringConst(graph, name + "/tag", tag.getBytes(UTF_8));
    byte[] metadata =
        SummaryMetadata.newBuilder()
            .setPluginData(SummaryMetadata.PluginData.newBuilder().setPluginName(TEXT_PLUGIN))
            .build()
            .toByteArray();
    Output<TString> metadataConst = stringConst(graph, name + "/metadata", metadata);
    GraphOperation op =
        graph
            .opBuilder("TensorSummaryV2", name, Ops.create(graph).scope())
            .addInput(tagConst)
            .addInput(text.asOutput())
            .addInput(metadataConst)
            .build();
    return register(graph, op.output(0));
  }

  /**
   * One Summary merging the given summaries ({@code MergeSummary}; a tag present twice fails at run
   * time with INVALID_ARGUMENT, as in TensorFlow). Not added to any collection.
   */
  public static Output<TString> merge(Graph graph, List<? extends Operand<TString>> summaries) {
    Objects.requireNonNull(graph, "graph");
    if (summaries.isEmpty()) {
      throw new IllegalArgumentException("merge needs at least one summary, but got none");
    }
    Output<?>[] inputs = new Output<?>[summaries.size()];
    for (int i = 0; i < inputs.length; i++) {
      checkGraph(graph, summaries.get(i));
      inputs[i] = summaries.get(i).asOutput();
    }
    String scope = "Merge";
    for (int i = 1; graph.operation(scope + "/MergeSummary") != null; i++) {
      scope = "Merge_" + i;
    }
    GraphOperation op =
        graph
            .opBuilder("MergeSummary", scope + "/MergeSummary", Ops.create(graph).scope())
            .addInputList(inputs)
            .build();
    return op.output(0);
  }

  /** {@link #merge} of collection {@code summaries}; empty when it is empty (Python's None). */
  public static Optional<Output<TString>> mergeAll(Graph graph) {
    return mergeAll(graph, CollectionKeys.SUMMARIES);
  }

  /** {@link #merge} of collection {@code key}; empty when it is empty. */
  @SuppressWarnings("unchecked")
  public static Optional<Output<TString>> mergeAll(Graph graph, String key) {
    List<Output<TString>> items = new ArrayList<>();
    for (Object item : GraphCollections.of(graph).get(key)) {
      // Collections imported from Python may list operations; a summary op has one output.
      Output<?> out = item instanceof Operation op ? op.output(0) : (Output<?>) item;
      if (DataTypes.base(out.dataType()) != DataType.DT_STRING) {
        throw new IllegalArgumentException(
            "collection '" + key + "' holds " + out + ", which is not a string summary tensor");
      }
      items.add((Output<TString>) out);
    }
    return items.isEmpty() ? Optional.empty() : Optional.of(merge(graph, items));
  }

  private static Output<TString> build(
      Graph graph,
      String type,
      String tag,
      Operand<?> values,
      Consumer<GraphOperationBuilder> attrs) {
    checkGraph(graph, values);
    String name = opName(graph, tag);
    Output<TString> tagConst =
        stringConst(graph, name + "/tag", tag.getBytes(UTF_8));
    GraphOperationBuilder b =
        graph
            .opBuilder(type, name, Ops.create(graph).scope())
            .addInput(tagConst)
            .addInput(values.asOutput());
    if (attrs != null) {
      attrs.accept(b);
    }
    return b.build().output(0);
  }

  private static Output<TString> register(Graph graph, Output<TString> summary) {
    GraphCollections.of(graph).add(CollectionKeys.SUMMARIES, summary);
    return summary;
  }

  private static Output<TString> stringConst(Graph graph, String name, byte[] value) {
    Scope scope = Ops.create(graph).scope();
    try (TString t = TString.tensorOfBytes(NdArrays.scalarOfObject(value))) {
      return graph
          .opBuilder("Const", name, scope)
          .setAttr("dtype", DataType.DT_STRING)
          .setAttr("value", t)
          .build()
          .output(0);
    }
  }

  private static void checkGraph(Graph graph, Operand<?> operand) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(operand, "operand");
    if (operand.env() != graph) {
      throw new IllegalArgumentException(operand + " belongs to another graph");
    }
  }

  /** The tag made a valid op name not yet used in {@code graph} (with its {@code /tag} child). */
  private static String opName(Graph graph, String tag) {
    Objects.requireNonNull(tag, "tag");
    if (tag.isEmpty()) {
      throw new IllegalArgumentException("a summary tag must be non-empty");
    }
    String base = INVALID_NAME_CHARS.matcher(tag).replaceAll("_");
    base = base.replaceAll("^/+|/+$", "").replaceAll("//+", "/");
    if (base.isEmpty() || !Character.isLetterOrDigit(base.charAt(0)) && base.charAt(0) != '.') {
      base = "summary_" + base;
    }
    String name = base;
    for (int i = 1; graph.operation(name) != null || graph.operation(name + "/tag") != null; i++) {
      name = base + "_" + i;
    }
    return name;
  }
}

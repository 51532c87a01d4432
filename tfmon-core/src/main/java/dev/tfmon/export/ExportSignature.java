package dev.tfmon.export;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfmon.graph.DataTypes;
import dev.tfmon.graph.GraphCollections;
import dev.tfmon.runtime.GraphNames;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * One signature of a SavedModel: a name ({@code serving_default} by default), a method name and the
 * graph tensors behind its input and output keys, as a serving system calls them.
 *
 * <pre>{@code
 * ExportSignature predict = ExportSignature.builder()          // "serving_default", predict
 *     .input("x", "x:0")
 *     .output("pred", "pred:0")
 *     .build();
 * }</pre>
 *
 * <p>A model can carry its signatures inside its graph ({@link #recordIn}): they are written into
 * every {@code .meta} file with the graph's collections, so an export of a checkpoint later needs no
 * tensor names (tfmon's built-in model does this).
 *
 * @param name the signature's key in the SavedModel
 * @param methodName what kind of call it serves ({@link #PREDICT}, {@link #CLASSIFY}, {@link
 *     #REGRESS})
 * @param inputs input key to tensor name ({@code "op:index"}, or {@code "op"} for output 0)
 * @param outputs output key to tensor name
 */
public record ExportSignature(
    String name, String methodName, Map<String, String> inputs, Map<String, String> outputs) {

  /** The signature a serving system calls when none is named. */
  public static final String DEFAULT_NAME = "serving_default";
  /** TensorFlow Serving's Predict API: any inputs and outputs. */
  public static final String PREDICT = "tensorflow/serving/predict";
  /** TensorFlow Serving's Classify API. */
  public static final String CLASSIFY = "tensorflow/serving/classify";
  /** TensorFlow Serving's Regress API. */
  public static final String REGRESS = "tensorflow/serving/regress";

  /**
   * The graph collection that holds signatures recorded with {@link #recordIn}: one serialized
   * {@code MetaGraphDef} per signature, with only its {@code signature_def} map set.
   */
  public static final String COLLECTION = "tfmon_export_signatures";

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_./-]+");

  public ExportSignature {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(methodName, "methodName");
    inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  /** A builder for the {@code serving_default} predict signature. */
  public static Builder builder() {
    return new Builder(DEFAULT_NAME);
  }

  /** A builder for a predict signature named {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * The {@code SignatureDef} of this signature over {@code graph}: each key's tensor name with the
   * dtype and static shape the graph gives it.
   *
   * @throws IllegalArgumentException naming the signature, the key and the tensor, if the graph
   *     has no such tensor
   */
  public SignatureDef toSignatureDef(Graph graph) {
    SignatureDef.Builder def = SignatureDef.newBuilder().setMethodName(methodName);
    inputs.forEach((key, tensor) -> def.putInputs(key, tensorInfo(graph, "input", key, tensor)));
    outputs.forEach((key, tensor) -> def.putOutputs(key, tensorInfo(graph, "output", key, tensor)));
    return def.build();
  }

  /** The signature a {@code SignatureDef} describes, named {@code name}. */
  public static ExportSignature fromSignatureDef(String name, SignatureDef def) {
    Map<String, String> in = new LinkedHashMap<>();
    Map<String, String> out = new LinkedHashMap<>();
    def.getInputsMap().forEach((k, v) -> in.put(k, v.getName()));
    def.getOutputsMap().forEach((k, v) -> out.put(k, v.getName()));
    return new ExportSignature(name, def.getMethodName(), in, out);
  }

  /**
   * Records {@code signatures} in {@code graph}'s collection {@link #COLLECTION}, so that the
   * {@code .meta} files of its checkpoints carry them.
   *
   * @throws IllegalArgumentException if a tensor is missing from the graph
   */
  public static void recordIn(Graph graph, List<ExportSignature> signatures) {
    GraphCollections collections = GraphCollections.of(graph);
    for (ExportSignature s : signatures) {
      // A SignatureDef has no name field; a MetaGraphDef's signature map carries the name with it.
      MetaGraphDef holder = MetaGraphDef.newBuilder().putSignatureDef(s.name, s.toSignatureDef(graph)).build();
      collections.add(COLLECTION, holder.toByteString());
    }
  }

  /** The signatures recorded in {@code graph} (also after importing a {@code .meta} file). */
  public static List<ExportSignature> recordedIn(Graph graph) {
    List<ExportSignature> out = new ArrayList<>();
    for (Object item : GraphCollections.of(graph).get(COLLECTION)) {
      if (!(item instanceof ByteString)) {
        continue;
      }
      try {
        MetaGraphDef.parseFrom((ByteString) item)
            .getSignatureDefMap()
            .forEach((name, def) -> out.add(fromSignatureDef(name, def)));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(
            "collection '" + COLLECTION + "' holds something that is not a MetaGraphDef: " + e.getMessage(), e);
      }
    }
    return out;
  }

  private TensorInfo tensorInfo(Graph graph, String role, String key, String tensor) {
    Output<?> out;
    try {
      out = GraphNames.output(graph, tensor);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "signature '" + name + "' " + role + " '" + key + "' names tensor '" + tensor + "', but "
              + e.getMessage(), e);
    }
    return TensorInfo.newBuilder()
        .setName(GraphNames.tensorName(out))
        .setDtype(DataTypes.base(out.dataType()))
        .setTensorShape(shapeProto(out.shape()))
        .build();
  }

  /** A static shape as a {@code TensorShapeProto} ({@code unknown_rank} when the rank is unknown). */
  static TensorShapeProto shapeProto(Shape shape) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    if (shape.isUnknown()) {
      return b.setUnknownRank(true).build();
    }
    for (int i = 0; i < shape.numDimensions(); i++) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(shape.get(i)));
    }
    return b.build();
  }

  /**
   * Builds an {@link ExportSignature}; checked at {@link #build()}.
   *
   * <pre>{@code
   * ExportSignature.builder("scores").methodName(ExportSignature.PREDICT).input("x", "x").output("y", "pred").build();
   * }</pre>
   */
  public static final class Builder {
    private final String name;
    private String methodName = PREDICT;
    private final Map<String, String> inputs = new LinkedHashMap<>();
    private final Map<String, String> outputs = new LinkedHashMap<>();

    private Builder(String name) {
      this.name = name;
    }

    /** The method name (default {@link #PREDICT}). */
    public Builder methodName(String method) {
      this.methodName = method;
      return this;
    }

    /** Input {@code key} is fed to tensor {@code tensorName}. */
    public Builder input(String key, String tensorName) {
      put(inputs, "input", key, tensorName);
      return this;
    }

    /** Output {@code key} is fetched from tensor {@code tensorName}. */
    public Builder output(String key, String tensorName) {
      put(outputs, "output", key, tensorName);
      return this;
    }

    /** Input {@code key} is fed to {@code tensor}. */
    public Builder input(String key, Operand<?> tensor) {
      return input(key, GraphNames.tensorName(tensor));
    }

    /** Output {@code key} is fetched from {@code tensor}. */
    public Builder output(String key, Operand<?> tensor) {
      return output(key, GraphNames.tensorName(tensor));
    }

    private void put(Map<String, String> map, String role, String key, String tensor) {
      if (key == null || !KEY.matcher(key).matches()) {
        throw new IllegalArgumentException(
            "signature '" + name + "': expected an " + role + " key of letters, digits and _./-, but got '" + key + "'");
      }
      if (tensor == null || tensor.isBlank()) {
        throw new IllegalArgumentException(
            "signature '" + name + "' " + role + " '" + key + "': expected a tensor name such as 'x:0', but got '" + tensor + "'");
      }
      if (map.putIfAbsent(key, tensor) != null) {
        throw new IllegalArgumentException(
            "signature '" + name + "' has " + role + " '" + key + "' twice (" + map.get(key) + " and " + tensor + ")");
      }
    }

    /**
     * @throws IllegalArgumentException if the name or method is empty, or there is no output
     */
    public ExportSignature build() {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("expected a signature name such as 'serving_default', but got '" + name + "'");
      }
      if (methodName == null || methodName.isEmpty()) {
        throw new IllegalArgumentException(
            "signature '" + name + "': expected a method name such as '" + PREDICT + "', but got '" + methodName + "'");
      }
      if (outputs.isEmpty()) {
        throw new IllegalArgumentException("signature '" + name + "' has no output: add one with output(key, tensor)");
      }
      return new ExportSignature(name, methodName, inputs, outputs);
    }
  }
}

package dev.tfmon.summary;

import dev.tfmon.graph.GraphCollections;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The graph protos TensorBoard is given, built as Python's {@code graph.as_graph_def(add_shapes=True)}
 * and {@code create_meta_graph_def(graph=...)} build them.
 *
 * <pre>{@code
 * GraphDef def = GraphDefs.withShapes(graph);   // every node carries _output_shapes
 * MetaGraphDef meta = GraphDefs.metaGraph(graph);
 * }</pre>
 */
public final class GraphDefs {
  /** The node attribute listing the shape of each output. */
  public static final String OUTPUT_SHAPES_ATTR = "_output_shapes";

  private GraphDefs() {}

  /**
   * {@code graph}'s GraphDef with an {@code _output_shapes} attribute on every node that has
   * outputs (TensorBoard's graph view shows tensor shapes from it).
   */
  public static GraphDef withShapes(Graph graph) {
    Objects.requireNonNull(graph, "graph");
    GraphDef plain = graph.toGraphDef();
    GraphDef.Builder out = plain.toBuilder();
    for (int i = 0; i < out.getNodeCount(); i++) {
      NodeDef node = out.getNode(i);
      GraphOperation op = graph.operation(node.getName());
      if (op == null || op.numOutputs() == 0) {
        continue;
      }
      AttrValue.ListValue.Builder shapes = AttrValue.ListValue.newBuilder();
      for (int k = 0; k < op.numOutputs(); k++) {
        shapes.addShape(toProto(op.output(k).shape()));
      }
      out.setNode(
          i,
          node.toBuilder()
              .putAttr(OUTPUT_SHAPES_ATTR, AttrValue.newBuilder().setList(shapes).build()));
    }
    return out.build();
  }

  /**
   * A MetaGraphDef of {@code graph}: the GraphDef with shapes, the graph's collections ({@link
   * GraphCollections}) and the runtime's TensorFlow version; no SaverDef.
   */
  public static MetaGraphDef metaGraph(Graph graph) {
    return MetaGraphDef.newBuilder()
        .setMetaInfoDef(
            MetaGraphDef.MetaInfoDef.newBuilder().setTensorflowVersion(TensorFlow.version()))
        .setGraphDef(withShapes(graph))
        .putAllCollectionDef(GraphCollections.of(graph).toCollectionDefs())
        .build();
  }

  static TensorShapeProto toProto(Shape shape) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    if (shape.isUnknown()) {
      return b.setUnknownRank(true).build();
    }
    for (int d = 0; d < shape.numDimensions(); d++) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(shape.size(d)));
    }
    return b.build();
  }
}

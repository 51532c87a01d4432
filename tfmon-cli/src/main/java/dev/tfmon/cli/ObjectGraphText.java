package dev.tfmon.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashSet;
import java.util.Set;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject;

/**
 * The object tree of a TF2 object-based checkpoint ({@code tf.train.Checkpoint}), stored as the
 * serialized {@code TrackableObjectGraph} in tensor {@code _CHECKPOINTABLE_OBJECT_GRAPH}: each object
 * by the name its parent gives it, with the checkpoint keys of its saved values.
 *
 * <pre>{@code
 * (root)
 *   model
 *     kernel  VARIABLE_VALUE = model/kernel/.ATTRIBUTES/VARIABLE_VALUE
 * }</pre>
 */
final class ObjectGraphText {
  /** The tensor TF2 checkpoints keep their object graph in. */
  static final String KEY = "_CHECKPOINTABLE_OBJECT_GRAPH";

  private ObjectGraphText() {}

  /**
   * The tree, one object per line, or null if {@code bytes} is not a TrackableObjectGraph.
   */
  static String format(byte[] bytes) {
    TrackableObjectGraph graph;
    try {
      graph = TrackableObjectGraph.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
    if (graph.getNodesCount() == 0) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    node(graph, 0, "(root)", 0, new HashSet<>(), out);
    return out.toString();
  }

  private static void node(TrackableObjectGraph graph, int id, String name, int depth, Set<Integer> shown,
      StringBuilder out) {
    out.append("  ".repeat(depth)).append(name);
    if (id < 0 || id >= graph.getNodesCount()) {
      out.append("  (names object ").append(id).append(", which the graph lacks)\n");
      return;
    }
    if (!shown.add(id)) {
      // objects may be reachable by several paths (or cycles): each is expanded once
      out.append("  (object ").append(id).append(", shown above)\n");
      return;
    }
    TrackableObject object = graph.getNodes(id);
    for (var attribute : object.getAttributesList()) {
      out.append("  ").append(attribute.getName()).append(" = ").append(attribute.getCheckpointKey());
    }
    out.append('\n');
    for (var child : object.getChildrenList()) {
      node(graph, child.getNodeId(), child.getLocalName(), depth + 1, shown, out);
    }
  }
}

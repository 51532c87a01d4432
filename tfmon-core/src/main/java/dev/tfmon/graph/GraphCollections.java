package dev.tfmon.graph;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.tfmon.runtime.GraphNames;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.QueueRunnerDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.VariableDef;

/**
 * TensorFlow's graph collections for TF Java, which has none: named lists attached to a {@link
 * Graph}, exported to and imported from {@code MetaGraphDef.collection_def} with the same keys and
 * encodings as Python TensorFlow, so graphs round-trip between the two.
 *
 * <p>An item is one of: an {@link Operation} or an {@link Output} (a {@code node_list} entry), a
 * {@link GraphVariable}, {@link SaverDef} or {@link QueueRunnerDef} (a {@code bytes_list} entry, as
 * Python writes them), raw {@link ByteString}s of other protos, {@link Long}s ({@code
 * int64_list}), {@link Float}s ({@code float_list}) and {@link Any}s ({@code any_list}).
 *
 * <pre>{@code
 * GraphCollections collections = GraphCollections.of(graph);
 * collections.add(CollectionKeys.TRAIN_OP, trainOp.op());
 * Map<String, CollectionDef> defs = collections.toCollectionDefs();   // into a MetaGraphDef
 * }</pre>
 *
 * <p>Thread-safe. One registry per graph, kept as long as the graph object is reachable.
 */
public final class GraphCollections {
  private static final Logger LOG = LoggerFactory.getLogger(GraphCollections.class);
  private static final Map<Graph, GraphCollections> REGISTRY = new WeakHashMap<>();

  private final Graph graph;
  private final Map<String, List<Object>> collections = new LinkedHashMap<>();

  private GraphCollections(Graph graph) {
    this.graph = graph;
  }

  /** The collections of {@code graph}, created empty on first use. */
  public static GraphCollections of(Graph graph) {
    Objects.requireNonNull(graph, "graph");
    synchronized (REGISTRY) {
      return REGISTRY.computeIfAbsent(graph, GraphCollections::new);
    }
  }

  /** The graph these collections belong to. */
  public Graph graph() {
    return graph;
  }

  /**
   * Appends {@code item} to collection {@code key}.
   *
   * @throws IllegalArgumentException if the item's kind cannot be stored, if an operation or
   *     tensor belongs to another graph, or if the collection already holds items of another kind
   */
  public synchronized void add(String key, Object item) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(item, "item");
    CollectionDef.KindCase kind = kindOf(key, item);
    List<Object> items = collections.computeIfAbsent(key, k -> new ArrayList<>());
    if (!items.isEmpty() && kindOf(key, items.get(0)) != kind) {
      throw new IllegalArgumentException(
          "collection '"
              + key
              + "' holds "
              + kindOf(key, items.get(0))
              + " items, so "
              + item
              + " ("
              + kind
              + ") cannot join it");
    }
    items.add(item);
  }

  /** Appends {@code item} unless an equal item is already in the collection. */
  public synchronized void addIfAbsent(String key, Object item) {
    List<Object> items = collections.get(key);
    if (items == null || !items.contains(item)) {
      add(key, item);
    }
  }

  /** The items of collection {@code key} (empty if there is none), as an unmodifiable copy. */
  public synchronized List<Object> get(String key) {
    List<Object> items = collections.get(key);
    return items == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(items));
  }

  /** The items of collection {@code key} that are of {@code type}. */
  public synchronized <T> List<T> get(String key, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (Object o : collections.getOrDefault(key, List.of())) {
      if (type.isInstance(o)) {
        out.add(type.cast(o));
      }
    }
    return out;
  }

  /** The variables of collection {@code key}. */
  public List<GraphVariable> variables(String key) {
    return get(key, GraphVariable.class);
  }

  /** Removes every item of collection {@code key}. */
  public synchronized void clear(String key) {
    collections.remove(key);
  }

  /** The names of the non-empty collections, in creation order. */
  public synchronized Set<String> keys() {
    return Collections.unmodifiableSet(new java.util.LinkedHashSet<>(collections.keySet()));
  }

  /** Every collection, encoded as Python TensorFlow encodes it in a MetaGraph. */
  public synchronized Map<String, CollectionDef> toCollectionDefs() {
    Map<String, CollectionDef> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Object>> e : collections.entrySet()) {
      if (e.getValue().isEmpty()) {
        continue;
      }
      out.put(e.getKey(), encode(e.getKey(), e.getValue()));
    }
    return out;
  }

  /**
   * Adds the items of {@code defs} (from a MetaGraph whose graph was imported into this graph with
   * {@code importScope} before every name, {@code ""} for none). Names that the graph lacks are
   * skipped with a warning, as Python does.
   */
  public synchronized void importCollectionDefs(Map<String, CollectionDef> defs, String importScope) {
    String prefix = importScope.isEmpty() ? "" : importScope + "/";
    for (Map.Entry<String, CollectionDef> e : defs.entrySet()) {
      String key = e.getKey();
      CollectionDef def = e.getValue();
      try {
        switch (def.getKindCase()) {
          case NODE_LIST:
            for (String name : def.getNodeList().getValueList()) {
              Object item = resolveNode(prefix + name);
              if (item == null) {
                LOG.warn("collection '{}': the graph has no '{}', skipped", key, prefix + name);
              } else {
                add(key, item);
              }
            }
            break;
          case BYTES_LIST:
            for (ByteString bytes : def.getBytesList().getValueList()) {
              add(key, decodeBytes(key, bytes, importScope));
            }
            break;
          case INT64_LIST:
            def.getInt64List().getValueList().forEach(v -> add(key, v));
            break;
          case FLOAT_LIST:
            def.getFloatList().getValueList().forEach(v -> add(key, v));
            break;
          case ANY_LIST:
            def.getAnyList().getValueList().forEach(v -> add(key, v));
            break;
          default:
            break;
        }
      } catch (InvalidProtocolBufferException | IllegalArgumentException ex) {
        LOG.warn("collection '{}' could not be imported and was skipped: {}", key, ex.getMessage());
      }
    }
  }

  private Object resolveNode(String name) {
    if (name.indexOf(':') >= 0) {
      String opName = name.substring(0, name.lastIndexOf(':'));
      if (graph.operation(opName) == null) {
        return null;
      }
      return GraphNames.output(graph, name);
    }
    return graph.operation(name);
  }

  private Object decodeBytes(String key, ByteString bytes, String importScope)
      throws InvalidProtocolBufferException {
    if (CollectionKeys.holdsVariables(key)) {
      return GraphVariable.fromProto(graph, VariableDef.parseFrom(bytes), importScope);
    }
    if (key.equals(CollectionKeys.SAVERS)) {
      return SaverDef.parseFrom(bytes);
    }
    if (key.equals(CollectionKeys.QUEUE_RUNNERS)) {
      return scoped(QueueRunnerDef.parseFrom(bytes), importScope);
    }
    return bytes;
  }

  /** {@code def} with {@code importScope} before every name, as Python's QueueRunner.from_proto. */
  private static QueueRunnerDef scoped(QueueRunnerDef def, String importScope) {
    if (importScope.isEmpty()) {
      return def;
    }
    String prefix = importScope + "/";
    QueueRunnerDef.Builder b =
        def.toBuilder()
            .setQueueName(prefix + def.getQueueName())
            .setCloseOpName(prefix + def.getCloseOpName())
            .setCancelOpName(prefix + def.getCancelOpName())
            .clearEnqueueOpName();
    def.getEnqueueOpNameList().forEach(name -> b.addEnqueueOpName(prefix + name));
    return b.build();
  }

  private CollectionDef.KindCase kindOf(String key, Object item) {
    if (item instanceof Operation || item instanceof Output) {
      Graph owner = item instanceof Operation ? (Graph) ((Operation) item).env()
          : (Graph) ((Output<?>) item).env();
      if (owner != graph) {
        throw new IllegalArgumentException(
            "collection '" + key + "': " + item + " belongs to another graph");
      }
      return CollectionDef.KindCase.NODE_LIST;
    }
    if (item instanceof GraphVariable
        || item instanceof SaverDef
        || item instanceof QueueRunnerDef
        || item instanceof ByteString) {
      return CollectionDef.KindCase.BYTES_LIST;
    }
    if (item instanceof Long) {
      return CollectionDef.KindCase.INT64_LIST;
    }
    if (item instanceof Float) {
      return CollectionDef.KindCase.FLOAT_LIST;
    }
    if (item instanceof Any) {
      return CollectionDef.KindCase.ANY_LIST;
    }
    throw new IllegalArgumentException(
        "collection '"
            + key
            + "' cannot hold a "
            + item.getClass().getName()
            + ": expected an Operation, Output, GraphVariable, SaverDef, QueueRunnerDef, ByteString,"
            + " Long, Float or Any");
  }

  private CollectionDef encode(String key, List<Object> items) {
    CollectionDef.Builder b = CollectionDef.newBuilder();
    switch (kindOf(key, items.get(0))) {
      case NODE_LIST:
        for (Object o : items) {
          String name =
              o instanceof Operation ? ((Operation) o).name() : GraphNames.tensorName((Output<?>) o);
          b.getNodeListBuilder().addValue(name);
        }
        break;
      case BYTES_LIST:
        for (Object o : items) {
          ByteString bytes;
          if (o instanceof GraphVariable) {
            bytes = ((GraphVariable) o).toProto().toByteString();
          } else if (o instanceof Message) {
            bytes = ((Message) o).toByteString();
          } else {
            bytes = (ByteString) o;
          }
          b.getBytesListBuilder().addValue(bytes);
        }
        break;
      case INT64_LIST:
        items.forEach(o -> b.getInt64ListBuilder().addValue((Long) o));
        break;
      case FLOAT_LIST:
        items.forEach(o -> b.getFloatListBuilder().addValue((Float) o));
        break;
      case ANY_LIST:
        items.forEach(o -> b.getAnyListBuilder().addValue((Any) o));
        break;
      default:
        throw new IllegalStateException("unexpected collection kind in '" + key + "'");
    }
    return b.build();
  }

}

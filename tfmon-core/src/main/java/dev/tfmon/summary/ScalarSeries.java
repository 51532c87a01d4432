package dev.tfmon.summary;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;
import org.tensorflow.proto.TensorProto;

/**
 * Extracts the scalars of a TensorBoard run from its events, in both encodings TensorFlow writes:
 * TF1's {@code Summary.Value.simple_value}, and TF2's tensor summaries whose plugin is {@code
 * scalars} (a one-element float32/float64/int tensor, in {@code tensor_content} little-endian or in
 * the typed value list).
 *
 * <p>Like TensorBoard, a tag's kind is that of its first value, whose metadata names the plugin
 * (writers keep the metadata only on the first value of each tag): see {@link TagKind}. {@link
 * RunContents} reads a whole run the way TensorBoard does, with its other tags.
 *
 * <pre>{@code
 * Map<String, List<ScalarPoint>> series = ScalarSeries.byTag(EventFileReader.readDirectory(dir));
 * List<ScalarPoint> loss = series.get("loss");
 * }</pre>
 */
public final class ScalarSeries {
  /** Plugin name of TF2 scalar summaries. */
  public static final String SCALARS_PLUGIN = "scalars";

  private ScalarSeries() {}

  /**
   * Every scalar of {@code events}, in event order.
   *
   * @throws IllegalArgumentException if a {@code scalars} tensor does not hold exactly one number
   */
  public static List<ScalarPoint> of(Iterable<Event> events) {
    TagKinds kinds = new TagKinds();
    List<ScalarPoint> points = new ArrayList<>();
    for (Event event : events) {
      if (!event.hasSummary()) {
        continue;
      }
      for (Summary.Value value : event.getSummary().getValueList()) {
        if (kinds.kindOf(value) == TagKind.SCALAR) {
          points.add(new ScalarPoint(value.getTag(), event.getStep(), event.getWallTime(), valueOf(value, event.getStep())));
        }
      }
    }
    return points;
  }

  /** {@link #of} grouped by tag (tags sorted), each list in event order. */
  public static Map<String, List<ScalarPoint>> byTag(Iterable<Event> events) {
    Map<String, List<ScalarPoint>> out = new TreeMap<>();
    for (ScalarPoint p : of(events)) {
      out.computeIfAbsent(p.tag(), t -> new ArrayList<>()).add(p);
    }
    return out;
  }

  /** {@link #byTag} over every event file of {@code dir} ({@link EventFileReader#readDirectory}). */
  public static Map<String, List<ScalarPoint>> readDirectory(Path dir) {
    return byTag(EventFileReader.readDirectory(dir));
  }

  /**
   * The number of a value whose kind is {@link TagKind#SCALAR}.
   *
   * @throws IllegalArgumentException if a tensor does not hold exactly one number
   */
  static double valueOf(Summary.Value value, long step) {
    return value.getValueCase() == Summary.Value.ValueCase.SIMPLE_VALUE
        ? value.getSimpleValue()
        : scalarOf(value.getTensor(), value.getTag(), step);
  }

  private static double scalarOf(TensorProto t, String tag, long step) {
    ByteString content = t.getTensorContent();
    switch (t.getDtype()) {
      case DT_FLOAT:
        if (!content.isEmpty()) {
          return little(content, 4, tag, step).getFloat();
        }
        return single(t.getFloatValCount(), tag, step) ? t.getFloatVal(0) : 0;
      case DT_DOUBLE:
        if (!content.isEmpty()) {
          return little(content, 8, tag, step).getDouble();
        }
        return single(t.getDoubleValCount(), tag, step) ? t.getDoubleVal(0) : 0;
      case DT_INT32:
        if (!content.isEmpty()) {
          return little(content, 4, tag, step).getInt();
        }
        return single(t.getIntValCount(), tag, step) ? t.getIntVal(0) : 0;
      case DT_INT64:
        if (!content.isEmpty()) {
          return little(content, 8, tag, step).getLong();
        }
        return single(t.getInt64ValCount(), tag, step) ? t.getInt64Val(0) : 0;
      default:
        throw new IllegalArgumentException(
            "scalar summary '" + tag + "' at step " + step + " has dtype " + t.getDtype()
                + "; expected DT_FLOAT, DT_DOUBLE, DT_INT32 or DT_INT64");
    }
  }

  private static ByteBuffer little(ByteString content, int width, String tag, long step) {
    if (content.size() != width) {
      throw new IllegalArgumentException(
          "scalar summary '" + tag + "' at step " + step + " holds " + content.size()
              + " bytes of tensor_content; expected one value of " + width + " bytes");
    }
    return content.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Checks that a typed value list holds one value (TensorFlow never writes a repeated-fill scalar as 0 values). */
  private static boolean single(int count, String tag, long step) {
    if (count != 1) {
      throw new IllegalArgumentException(
          "scalar summary '" + tag + "' at step " + step + " holds " + count
              + " values; expected exactly one");
    }
    return true;
  }
}

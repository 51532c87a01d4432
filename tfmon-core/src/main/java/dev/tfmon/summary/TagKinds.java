package dev.tfmon.summary;

import java.util.HashMap;
import java.util.Map;
import org.tensorflow.proto.Summary;

/**
 * The kind of each tag of one run, as TensorBoard settles it: by the tag's first value, whose
 * metadata names the plugin (writers keep the metadata only on a tag's first value).
 */
final class TagKinds {
  private final Map<String, String> plugins = new HashMap<>();
  private final Map<String, TagKind> kinds = new HashMap<>();

  /** The kind of {@code value}'s tag, settled by this value if it is the tag's first. */
  TagKind kindOf(Summary.Value value) {
    String tag = value.getTag();
    if (value.hasMetadata()) {
      plugins.putIfAbsent(tag, value.getMetadata().getPluginData().getPluginName());
    }
    return kinds.computeIfAbsent(tag, t -> TagKind.of(value, plugins.get(t)));
  }

  /** Records a tag that is not a summary value (run metadata). */
  void settle(String tag, TagKind kind) {
    kinds.putIfAbsent(tag, kind);
  }

  TagKind kind(String tag) {
    return kinds.get(tag);
  }

  /** The plugin named in the tag's metadata, or "". */
  String plugin(String tag) {
    return plugins.getOrDefault(tag, "");
  }
}

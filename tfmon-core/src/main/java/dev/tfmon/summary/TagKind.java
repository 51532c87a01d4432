package dev.tfmon.summary;

import org.tensorflow.proto.Summary;

/**
 * What the values of a summary tag are, as TensorBoard's dashboards tell them apart: TF1 writes
 * dedicated fields ({@code simple_value}, {@code histo}, {@code image}, {@code audio}), TF2 writes
 * tensors whose kind is the plugin named in the tag's metadata.
 *
 * <pre>{@code
 * TagKind kind = TagKind.of(value, pluginOfTag);   // SCALAR for a simple_value or a "scalars" tensor
 * System.out.println(kind.label());                // "scalar"
 * }</pre>
 */
public enum TagKind {
  SCALAR("scalar"),
  HISTOGRAM("histogram"),
  IMAGE("image"),
  AUDIO("audio"),
  TEXT("text"),
  /** A tensor of another plugin (or of none), e.g. pr_curves or hparams. */
  TENSOR("tensor"),
  /** The run metadata of a step ({@code Event.tagged_run_metadata}), e.g. from a profiler hook. */
  RUN_METADATA("run_metadata");

  private final String label;

  TagKind(String label) {
    this.label = label;
  }

  /** The lower-case name shown to users and written to tfmon's CSV and JSON. */
  public String label() {
    return label;
  }

  /**
   * The kind of {@code value}.
   *
   * @param plugin the plugin of the value's tag (from the metadata of the tag's first value, as
   *     writers keep it there only), or empty
   */
  public static TagKind of(Summary.Value value, String plugin) {
    switch (value.getValueCase()) {
      case SIMPLE_VALUE:
        return SCALAR;
      case HISTO:
      case OBSOLETE_OLD_STYLE_HISTOGRAM:
        return HISTOGRAM;
      case IMAGE:
        return IMAGE;
      case AUDIO:
        return AUDIO;
      default:
        return ofPlugin(plugin);
    }
  }

  /** The kind of a tensor summary written for {@code plugin}. */
  static TagKind ofPlugin(String plugin) {
    switch (plugin == null ? "" : plugin) {
      case ScalarSeries.SCALARS_PLUGIN:
        return SCALAR;
      case "histograms":
        return HISTOGRAM;
      case "images":
        return IMAGE;
      case "audio":
        return AUDIO;
      case Summaries.TEXT_PLUGIN:
        return TEXT;
      default:
        return TENSOR;
    }
  }
}

package dev.tfmon.cluster;

/**
 * The cluster package's name for {@link dev.tfmon.json.Json}, which moved there to serve the
 * evaluation ledger and Chrome traces too; code of this package may call either.
 */
final class Json {
  /** JSON's {@code null}. */
  static final Object NULL = dev.tfmon.json.Json.NULL;

  private Json() {}

  /** See {@link dev.tfmon.json.Json#parse}. */
  static Object parse(String text) {
    return dev.tfmon.json.Json.parse(text);
  }

  /** See {@link dev.tfmon.json.Json#quote}. */
  static String quote(String s) {
    return dev.tfmon.json.Json.quote(s);
  }
}

package dev.tfmon.export;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a verified export checked: each signature of the written SavedModel, loaded in a fresh TF
 * Java {@code SavedModelBundle}, was run on a sample input and its outputs compared with the
 * training session's outputs for the same input.
 *
 * <pre>{@code
 * ExportResult r = exporter.export(session, exports);
 * System.out.println(r.verification().summary());   // "verified serving_default: ... max |diff| 0"
 * }</pre>
 *
 * @param performed false when verification was turned off ({@code verify(false)})
 * @param tolerance the largest accepted difference, relative to the expected magnitude (at least 1)
 * @param checks one per signature, in signature order
 */
public record Verification(boolean performed, double tolerance, List<SignatureCheck> checks) {

  public Verification {
    checks = List.copyOf(checks);
  }

  /** No verification was done. */
  static Verification skipped() {
    return new Verification(false, 0, List.of());
  }

  /**
   * The check of one signature.
   *
   * @param signature the signature's name
   * @param inputs for each input key, where the sample came from and its dtype and shape, e.g.
   *     {@code "zeros float32 [1, 2]"} or {@code "given float32 [600, 2]"}
   * @param maxDifference for each output key, the largest absolute difference seen
   */
  public record SignatureCheck(String signature, Map<String, String> inputs, Map<String, Double> maxDifference) {
    public SignatureCheck {
      inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
      maxDifference = Collections.unmodifiableMap(new LinkedHashMap<>(maxDifference));
    }

    /** The largest difference over all outputs. */
    public double worst() {
      return maxDifference.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
  }

  /** One line: what was run and the largest difference per signature. */
  public String summary() {
    if (!performed) {
      return "not verified";
    }
    StringBuilder s = new StringBuilder("verified");
    String sep = " ";
    for (SignatureCheck c : checks) {
      s.append(sep).append(c.signature()).append(" on ").append(String.join(", ", describeInputs(c)))
          .append(": max |diff| ").append(c.worst());
      sep = "; ";
    }
    return s.toString();
  }

  private static List<String> describeInputs(SignatureCheck c) {
    return c.inputs().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }
}
